/**
 * Imported first by run.ts: the benchmark runs on its own test bed instance
 * (state in BENCH_WORK/hosts) unless BATOU_TS_TESTHOSTS_DIR says otherwise,
 * so that other users of the project's shared bed (/tmp/batou-ts-testhosts)
 * neither restart hosts under a measurement nor share 20 hosts' worth of CPU.
 */
process.env.BATOU_TS_TESTHOSTS_DIR ??= `${process.env.BENCH_WORK ?? "/tmp/batou-ts-bench"}/hosts`;
