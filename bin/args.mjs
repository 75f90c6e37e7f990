// Option parsing shared by the Node commands (bin/hush-agg.mjs, bin/hush-fl.mjs, bin/hush-mpc.mjs),
// with the native CLI's conventions: "--name value" or "--name=value", exit status 2 for bad arguments and 1 for
// a failure, each with one "PROG: ..." line on stderr.
export function cli(prog, flags = []) {
  const FLAGS = new Set(flags);
  const fail = (msg, code = 1) => {
    process.stderr.write(`${prog}: ${msg}\n`);
    process.exit(code);
  };
  const parse = (argv, known) => {
    const o = {};
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      if (!a.startsWith('--') || a.length < 3) fail(`unexpected argument '${a}'`, 2);
      let [k, v] = a.slice(2).split(/=(.*)/s, 2);
      if (!FLAGS.has(k) && v === undefined) {
        if (i + 1 >= argv.length) fail(`option --${k} needs a value`, 2);
        v = argv[++i];
      }
      if (k in o) fail(`option --${k} given twice`, 2);
      if (!known.includes(k)) fail(`unknown option --${k}`, 2);
      o[k] = FLAGS.has(k) ? true : v;
    }
    return o;
  };
  const uint = (o, k, def, lo = 0, hi) => {
    if (o[k] === undefined) return def;
    const n = Number(o[k]);
    if (hi === undefined && (!Number.isInteger(n) || n < lo)) fail(`--${k} must be a non-negative integer, got '${o[k]}'`, 2);
    if (hi !== undefined && (!Number.isInteger(n) || n < lo || n > hi)) fail(`--${k} must be an integer in [${lo}, ${hi}], got '${o[k]}'`, 2);
    return n;
  };
  const num = (o, k, def) => {
    if (o[k] === undefined) return def;
    const n = Number(o[k]);
    if (!Number.isFinite(n) || n <= 0) fail(`--${k} must be a positive number, got '${o[k]}'`, 2);
    return n;
  };
  return { fail, parse, uint, num };
}
