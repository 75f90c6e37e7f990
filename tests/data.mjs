// The data-presence rule for every JS suite (tests/node, tests/accuracy, tests/e2e); the C suites
// have the same rule in tests/c/check.h (check_data_file).
//
// Data sets in data/ come from scripts/bootstrap.sh (`make bootstrap`) and are never committed. On
// a developer machine a test whose data is missing is skipped, with the reason; under CI=true (or
// 1) or HUSH_REQUIRE_DATA=1 a missing file is an error instead, so a CI run without data/ fails
// rather than passing on skipped tests. HUSH_REQUIRE_DATA=0 turns the requirement off.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const DATA = join(ROOT, 'data');

export function dataRequired(env = process.env) {
  const r = env.HUSH_REQUIRE_DATA;
  if (r !== undefined && r !== '') return r !== '0';
  return env.CI === 'true' || env.CI === '1';
}

export function dataFile(name) {
  return join(DATA, name);
}

// For node:test's `skip` option: false when every file is there; otherwise a skip reason, or,
// when data is required, a thrown error (which fails the test file).
export function needData(...names) {
  const missing = names.filter((n) => !existsSync(dataFile(n)));
  if (!missing.length) return false;
  const what = missing.map((n) => `data/${n}`).join(', ');
  if (dataRequired()) {
    throw new Error(`${what} missing, and CI/HUSH_REQUIRE_DATA requires data/: run make bootstrap`);
  }
  return `${what} missing (run make bootstrap)`;
}
