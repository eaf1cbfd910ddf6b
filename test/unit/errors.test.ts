import { GraphQLError, parse, parseValue, type OperationDefinitionNode } from 'graphql';
import { AppError, ErrorCode, httpStatusOf } from '../../src/common/errors';
import { toPublicError } from '../../src/graphql/errors';
import { describeForLog } from '../../src/infra/logger';

/**
 * A request error as graphql-js builds it from its parts: a variable's
 * (`nodes`: its definition; `originalError`: the coercion's reason, under
 * which a scalar's own error may hang), or a literal's (`nodes`: the literal).
 * test/unit/request-errors.test.ts has graphql-js itself make each kind.
 */
function variableError(message: string, reason?: GraphQLError): GraphQLError {
  const variable = /^Variable "\$(\w+)"/.exec(message)?.[1] ?? 'input';
  const operation = parse(`query($${variable}: X) { a }`).definitions[0] as OperationDefinitionNode;
  return new GraphQLError(message, {
    nodes: operation.variableDefinitions?.[0],
    ...(reason ? { originalError: reason } : {}),
  });
}

/** The reason graphql-js gives after `; `, as its own error. */
function reasonOf(message: string, scalarError?: string): GraphQLError {
  const reason = message.slice(message.indexOf('; ') + 2);
  return new GraphQLError(reason, scalarError ? { originalError: new TypeError(scalarError) } : {});
}

const fromRequestError = (message: string, reason?: GraphQLError) =>
  toPublicError(variableError(message, reason));

describe('toPublicError', () => {
  it('passes an AppError through with its field', () => {
    expect(
      toPublicError(
        new AppError({ code: ErrorCode.BAD_USER_INPUT, message: 'bad', field: 'name' }),
      ),
    ).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'bad',
      field: 'name',
    });
  });

  it('hides anything unexpected behind a fixed message', () => {
    const leak = new Error('insert into "users" ("password_hash") values (\'c2NyeXB0...\') - boom');
    const pub = toPublicError(leak);
    expect(pub.code).toBe('INTERNAL_SERVER_ERROR');
    expect(JSON.stringify(pub)).not.toMatch(/insert|password_hash|boom/);
  });

  it('reports an unreachable database as SERVICE_UNAVAILABLE', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
    });
    expect(toPublicError(refused)).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfter: 5 });
  });

  it('keeps an execution error from a library out of BAD_USER_INPUT', () => {
    const scalar = new GraphQLError('Value is not a valid URL: ftp://x');
    const located = new GraphQLError(scalar.message, { path: ['viewer'], originalError: scalar });
    expect(toPublicError(located).code).toBe('INTERNAL_SERVER_ERROR');
  });
});

describe('fromRequestError', () => {
  it.each([
    [
      'Variable "$input" got invalid value 123 at "input.password"; String cannot represent a non string value: 123',
      'password',
      'Invalid value for "input.password": String cannot represent a non string value.',
      'invalid',
    ],
    [
      'Variable "$input" got invalid value { secret: "s3cr3t" }; Field "secret" is not defined by type "SignUpInput".',
      'secret',
      'Invalid value for "$input": Field "secret" is not defined by type "SignUpInput".',
      'invalid',
    ],
    [
      'Variable "$input" got invalid value "x@" at "input.email"; Expected type "EmailAddress". Value is not a valid email address: x@',
      'email',
      'Invalid value for "input.email": Expected type "EmailAddress".',
      'invalid',
    ],
    [
      'Variable "$id" of required type "ID!" was not provided.',
      'id',
      'Variable "$id" of required type "ID!" was not provided.',
      'required',
    ],
  ])('rebuilds %p without the submitted value', (message, field, expected, problem) => {
    const reason = message.includes('; ')
      ? reasonOf(
          message,
          message.includes('Value is not') ? 'Value is not a valid email address: x@' : undefined,
        )
      : undefined;
    expect(fromRequestError(message, reason)).toEqual({
      code: 'BAD_USER_INPUT',
      field,
      message: expected,
      problem,
    });
  });

  it('scrubs literals from validation messages', () => {
    const literal = new GraphQLError('Expected value of type "String!", found 12345678.', {
      nodes: parseValue('12345678'),
    });
    expect(toPublicError(literal).message).toBe('Expected value of type "String!".');
  });
});

describe('httpStatusOf', () => {
  it('maps every code as SPEC says', () => {
    expect(Object.values(ErrorCode).map((code) => [code, httpStatusOf(code)])).toEqual([
      ['UNAUTHENTICATED', 401],
      ['FORBIDDEN', 403],
      ['NOT_FOUND', 404],
      ['BAD_USER_INPUT', 400],
      ['CONFLICT', 409],
      ['PLAN_LIMIT_EXCEEDED', 403],
      ['RATE_LIMITED', 429],
      ['SERVICE_UNAVAILABLE', 503],
      ['INTERNAL_SERVER_ERROR', 500],
    ]);
  });
});

describe('describeForLog', () => {
  it('keeps the driver message and drops the SQL in front of it', () => {
    const error = Object.assign(
      new Error('update "users" set "password_hash" = \'abc\' - deadlock detected'),
      {
        code: '40P01',
      },
    );
    expect(describeForLog(error)).toEqual({
      name: 'Error',
      code: '40P01',
      message: 'deadlock detected',
    });
  });
});

describe('fromRequestError with a value that looks like its own message', () => {
  it('splits at the known reason, so no part of the value leaks', () => {
    const reason = 'String cannot represent a non string value: ["Pass; word1 at \\"input.x\\""]';
    const message = `Variable "$input" got invalid value ["Pass; word1 at \\"input.x\\""] at "input.password"; ${reason}`;
    const pub = fromRequestError(message, new GraphQLError(reason));
    expect(pub).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'password',
      message: 'Invalid value for "input.password": String cannot represent a non string value.',
      problem: 'invalid',
    });
  });
});
