"use strict";
// Command line of the load generator: parsing, per-scenario defaults and --quick sizes.

const USAGE = `usage: node loadgen.js --url http://127.0.0.1:PORT --scenario S1|S2|S3|S4|S5|S6
         --widget-token T --host-token H [options] [--json out.json]

common:   --client raw|sio (raw)  --transports polling,websocket|websocket (sio only: as a
          browser, polling first then the upgrade)  --deflate on|off (sio only: on, as a
          browser offers it)  --notice-hash sha256:... (else read once with the "notice" event)
          --quick  --server-pid PID  --timeout S
          --connect-timeout S (20)  --ack-timeout S (30)  --inflight N (handshakes in flight)
          --purpose KEY (recording)  --language L (en)  --fields JSON ({}; "{i}" in a string
          value becomes the participant's number)  --path /socket.io  --drain S (10)
S1:       --participants N (100)  --hosts K (1)  --warmup S (2)  --duration S (10)
          --acked-file PATH (one acknowledged event_id per line; S1 and S4)
S2:       --connected N (5000)  --rate R (1000)  --warmup S (2)  --duration S (20)
S3:       --connected N (10000)  --hold S (30)  --probe N (100)
S4:       --participants N (2000)  (--inflight defaults to all of them)  --acked-file PATH
S5:       --connected N (5000)  --repeats N (5)
S6:       --processor-token P (a grant token for --purpose)  --participants N (100)
          --rate R (500)  --warmup S (2)  --duration S (10)`;

// Full-size defaults, then the --quick sizes (seconds-long, for CI).
const DEFAULTS = {
  S1: { participants: 100, hosts: 1, warmup: 2, duration: 10, inflight: 200 },
  S2: { connected: 5000, rate: 1000, warmup: 2, duration: 20, inflight: 200 },
  S3: { connected: 10000, hold: 30, probe: 100, inflight: 200 },
  S4: { participants: 2000, inflight: null },
  S5: { connected: 5000, repeats: 5, inflight: 200 },
  S6: { participants: 100, rate: 500, warmup: 2, duration: 10, inflight: 200 },
};
const QUICK = {
  S1: { participants: 20, warmup: 0.5, duration: 1 },
  S2: { connected: 200, rate: 100, warmup: 0.5, duration: 2 },
  S3: { connected: 200, hold: 2, probe: 20 },
  S4: { participants: 200 },
  S5: { connected: 200, repeats: 5 },
  S6: { participants: 20, rate: 100, warmup: 0.5, duration: 2 },
};
// Generous overall bound per scenario (seconds beyond its planned duration).
const SLACK_S = { S1: 120, S2: 240, S3: 300, S4: 240, S5: 300, S6: 120 };

const COMMON = {
  client: "raw",
  transports: "polling,websocket",
  deflate: "on",
  path: "/socket.io",
  purpose: "recording",
  language: "en",
  fields: "{}",
  connectTimeout: 20,
  ackTimeout: 30,
  drain: 10,
  quick: false,
};

const NUMERIC = new Set([
  "participants", "hosts", "warmup", "duration", "connected", "rate", "hold", "probe", "repeats",
  "inflight", "connectTimeout", "ackTimeout", "drain", "timeout", "serverPid",
]);
const STRINGS = new Set([
  "url", "scenario", "widgetToken", "hostToken", "json", "ackedFile", "client", "path", "purpose",
  "language", "fields", "transports", "deflate", "noticeHash", "processorToken",
]);

const camel = (flag) => flag.replace(/-([a-z])/g, (_, c) => c.toUpperCase());

class UsageError extends Error {}

function parseArgs(argv) {
  const given = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") throw new UsageError("");
    if (!arg.startsWith("--")) throw new UsageError(`unexpected argument: ${arg}`);
    const key = camel(arg.slice(2));
    if (key === "quick") {
      given.quick = true;
      continue;
    }
    if (!NUMERIC.has(key) && !STRINGS.has(key)) throw new UsageError(`unknown option: ${arg}`);
    const value = argv[i + 1];
    if (value === undefined) throw new UsageError(`${arg} needs a value`);
    i += 1;
    if (NUMERIC.has(key)) {
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0) throw new UsageError(`${arg} needs a non-negative number`);
      given[key] = n;
    } else {
      given[key] = value;
    }
  }
  return given;
}

function resolveOptions(argv) {
  const given = parseArgs(argv);
  const scenario = String(given.scenario || "").toUpperCase();
  if (!DEFAULTS[scenario]) throw new UsageError("--scenario must be one of S1 S2 S3 S4 S5 S6");
  for (const required of ["url", "widgetToken"]) {
    if (!given[required]) throw new UsageError(`--${required.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())} is required`);
  }
  if (scenario !== "S3" && !given.hostToken) throw new UsageError("--host-token is required");
  if (given.client && !["raw", "sio"].includes(given.client)) throw new UsageError("--client must be raw or sio");
  if (given.deflate && !["on", "off"].includes(given.deflate)) throw new UsageError("--deflate must be on or off");
  if (given.transports) {
    const names = given.transports.split(",");
    if (!names.every((t) => ["polling", "websocket"].includes(t))) {
      throw new UsageError("--transports takes polling and/or websocket, comma-separated");
    }
  }
  let fields;
  try {
    fields = JSON.parse(given.fields || COMMON.fields);
  } catch (e) {
    throw new UsageError(`--fields is not JSON: ${e.message}`);
  }
  const opts = {
    ...COMMON,
    ...DEFAULTS[scenario],
    ...(given.quick ? QUICK[scenario] : {}),
    ...given,
    scenario,
    fields,
  };
  if (opts.client === "raw") {
    // The raw client speaks websocket only and never offers compression.
    opts.transports = "websocket";
    opts.deflate = "off";
  }
  if (opts.inflight === null) opts.inflight = opts.participants; // S4: everybody at once
  if (opts.hosts !== undefined && opts.hosts < 1) throw new UsageError("--hosts must be at least 1");
  if (opts.timeout === undefined) opts.timeout = plannedSeconds(opts) + SLACK_S[scenario];
  return opts;
}

function plannedSeconds(o) {
  switch (o.scenario) {
    case "S1":
    case "S2":
    case "S6":
      return o.warmup + o.duration + o.drain;
    case "S3":
      return o.hold + o.drain;
    default:
      return o.drain;
  }
}

// The join payload for participant number i: "{i}" in string values becomes i.
function joinFields(opts, i) {
  const out = {};
  for (const [k, v] of Object.entries(opts.fields)) {
    out[k] = typeof v === "string" ? v.replaceAll("{i}", String(i)) : v;
  }
  return out;
}

module.exports = { USAGE, UsageError, resolveOptions, joinFields };
