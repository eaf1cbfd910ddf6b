import { JsonProperty, MikroORM, raw, type PostgreSqlPlatform } from '@mikro-orm/postgresql';
import { bindQuery, StatementNames } from '../../src/infra/db/sql';
import { entities } from '../../src/entities';
import { ormConfig } from '../../src/infra/db/orm-config';

/*
 * The adapter binds what MikroORM would have formatted into the text. The
 * oracle is MikroORM's own formatQuery: putting each bound value back in as
 * MikroORM quotes it must give formatQuery's text exactly.
 */

let orm: MikroORM;
let platform: PostgreSqlPlatform;
beforeAll(() => {
  // Connecting is lazy: no database is needed to format.
  orm = new MikroORM(ormConfig({ clientUrl: 'postgres://nobody@127.0.0.1:1/none', entities }));
  platform = orm.em.getPlatform() as PostgreSqlPlatform;
});
afterAll(() => orm.close(true));

/** The bound text with every `$n` replaced by its value as MikroORM quotes it. */
function unbind(text: string, values: unknown[]): string {
  return text.replace(/\$(\d+)/g, (_, n: string) =>
    String(platform.quoteValue(values[Number(n) - 1])),
  );
}

const when = new Date('2026-12-03T10:11:12.345Z');
const json = Object.defineProperty(['a', 'b'], JsonProperty, { value: true });

const cases: [string, string, unknown[]][] = [
  ['strings', 'select * from t where a = ? and b = ?', ["it's", 'back\\slash']],
  ['a NUL and astral text', 'insert into t (a, b) values (?, ?)', ['nul\u0000inside', 'emoji 😀']],
  ['a leading value', '? = a', ['x']],
  ['a leading identifier', '?? = 1', ['col']],
  ['identifiers', 'select ?? from ?? where ?? = ?', ['a.b', 'my "table"', 'c', 1]],
  ['an escaped question mark', 'select data \\? ? from t where id = ?', ['key', 7]],
  [
    'in-lists',
    'select 1 from t where id in (?) and n in (?)',
    [
      ['a', 'b', 'c'],
      [1, 2],
    ],
  ],
  ['numbers, booleans, nulls', 'update t set a = ?, b = ?, c = ?, d = ?', [1.5, true, false, null]],
  ['a bigint', 'select ?', [12345678901234567890n]],
  ['a date', 'update t set at = ?', [when]],
  ['bytes', 'update t set iv = ?', [Buffer.from([0, 1, 254, 255])]],
  ['a plain object as JSON', 'update t set doc = ?', [{ a: "it's", b: [1, null] }]],
  ['an array tagged as JSON', 'update t set doc = ?', [json]],
  ['a raw fragment with params', 'select ? from t where x = ?', [raw('lower(?)', ['Ab']), 'y']],
  ['a raw fragment as identifier', 'select ?? from t', [raw('coalesce(?, ??)', ['z', 'col'])]],
  ['three marks after an identifier', 'select ??? from t', ['a']],
];

describe('bindQuery', () => {
  it.each(cases)('%s: formatQuery text once the values are put back', (_, sql, params) => {
    const bound = bindQuery(platform, sql, params);
    expect(unbind(bound.text, bound.values)).toBe(platform.formatQuery(sql, params));
  });

  it('sends a text without params as it is (migrations hold ? and $1 in strings and bodies)', () => {
    const sql = `select '?' as a, $$ $1 $$ as b, e'\\?' as c`;
    expect(bindQuery(platform, sql, [])).toEqual({ text: sql, values: [] });
    expect(platform.formatQuery(sql, [])).toBe(sql);
  });

  it('leaves no value in the text', () => {
    const secret = "pa'ss\u0000word";
    const bound = bindQuery(platform, 'insert into t (a, b, c) values (?, ?, ?)', [
      secret,
      { secret },
      [secret, when],
    ]);
    expect(bound.text).toBe('insert into t (a, b, c) values ($1, $2, $3, $4)');
    expect(bound.values).toEqual([secret, JSON.stringify({ secret }), secret, when.toISOString()]);
  });

  it('numbers fragments on after the values before them', () => {
    const bound = bindQuery(platform, '? and ? and ?', ['a', raw('f(?, ?)', ['b', 'c']), 'd']);
    expect(bound).toEqual({ text: '$1 and f($2, $3) and $4', values: ['a', 'b', 'c', 'd'] });
  });

  it('agrees with formatQuery on random texts', () => {
    // A small deterministic generator (no seedless randomness in tests).
    let seed = 42;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pieces = ['?', '??', '\\?', ' a ', "'", ',', '(', ')', 'x'];
    const values = ['s', "it's", 3, null, true, when, ['p', 'q'], { k: 'v' }];
    for (let i = 0; i < 500; i++) {
      let sql = '';
      const params: unknown[] = [];
      for (let p = next(8) + 1; p > 0; p--) sql += pieces[next(pieces.length)];
      // Names at even positions, values at odd ones; a text that puts a value
      // where a name goes fails in formatQuery and is skipped.
      for (let k = 0; k < 12; k++) params.push(k % 2 ? values[next(values.length)] : `c${k}`);
      let formatted: string;
      try {
        formatted = platform.formatQuery(sql, params);
      } catch {
        continue;
      }
      const bound = bindQuery(platform, sql, params);
      expect(unbind(bound.text, bound.values)).toBe(formatted);
    }
  });
});

describe('StatementNames', () => {
  it('names a text by its hash, the same in every process, up to the bound', () => {
    const names = new StatementNames('named', 2);
    const a = names.forText('select $1');
    expect(a).toMatch(/^orm_[A-Za-z0-9_-]{24}$/);
    expect(names.forText('select $1')).toBe(a);
    expect(new StatementNames('named').forText('select $1')).toBe(a);
    expect(names.forText('select $1, $2')).toBeDefined();
    expect(names.forText('select $1, $2, $3')).toBeUndefined();
    expect(names.forFixed('account_authenticate_v3')).toBe('account_authenticate_v3');
  });

  it('names nothing when unnamed', () => {
    const names = new StatementNames('unnamed');
    expect(names.forText('select $1')).toBeUndefined();
    expect(names.forFixed('account_authenticate_v3')).toBeUndefined();
  });
});
