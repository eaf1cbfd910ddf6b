/**
 * How long the test servers, and the commands the tests run, may take to open
 * a database connection. The production default (3 s) suits a healthy
 * database. On this project's 2-core machines under load, opening one has
 * taken 4.3 s (16 busy processes beside it), and a CI run once failed on it.
 * That is not what these tests are about; the tests of the timeout set their
 * own.
 */
export const TEST_CONNECT_TIMEOUT_MS = '20000';
