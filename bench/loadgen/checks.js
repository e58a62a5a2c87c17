"use strict";
// What a healthy run shows, per scenario: the same checks for the product and the reference
// (bench/run.py and smoke.js both read `result.health`). A figure from an unhealthy run is
// not a figure: a server that drops updates or refuses joins is "faster" for it.

const everyZero = (list) => Array.isArray(list) && list.every((n) => n === 0);

const CHECKS = {
  S1: {
    "acknowledged decisions in the window": (r) => r.throughput.acked_in_window > 0,
    "no refused decision": (r) => r.throughput.errors_total === 0,
    "no decision left unacknowledged": (r) => r.throughput.unacked_at_end === 0,
    "every host saw every acknowledged decision": (r) => everyZero(r.throughput.hosts_missing_decisions),
  },
  S2: {
    "latencies measured": (r) => r.latency.host_ms.n > 0,
    "every host update received": (r) => r.latency.never_received === 0,
    "no refused decision": (r) => r.latency.errors === 0,
    "no decision left unacknowledged": (r) => r.latency.unacked === 0,
  },
  S3: {
    "every participant joined": (r) => r.memory.connected === r.params.connected,
    "every participant still connected after the hold": (r) => r.memory.still_connected === r.memory.connected,
    "every probe acknowledged": (r) => r.memory.probe_acked === r.memory.probe_sent,
    "memory measured": (r) => r.memory.kb_per_connection > 0,
  },
  S4: {
    "every participant acknowledged": (r) => r.burst.acked === r.burst.participants,
    "the host converged": (r) => r.burst.host_converged === true,
  },
  S6: {
    "withdrawals measured": (r) => r.plan.withdrawals_measured > 0 && r.plan.withdrawal_to_plan_ms.n > 0,
    "every withdrawal reached the processor": (r) => r.plan.never_reached === 0,
    "no plan contradicts the decisions": (r) => r.plan.wrong_plans === 0,
    "plans in order": (r) => r.plan.plans_out_of_order === 0,
    "no refused decision": (r) => r.plan.errors === 0,
    "no decision left unacknowledged": (r) => r.plan.unacked === 0,
  },
  S5: {
    "every roster complete": (r) => r.snapshot.roster_participants.length === r.snapshot.repeats &&
      r.snapshot.roster_participants.every((n) => n === r.snapshot.joined),
    "no host failed": (r) => r.snapshot.errors.length === 0,
  },
};

// Connection failures fail every scenario: the figures would be over fewer clients.
const COMMON = {
  "no participant failed to connect or join": (r) => !r.connect || !r.connect.participants ||
    r.connect.participants.failed === 0,
  "no host failed to connect": (r) => !r.connect || !r.connect.hosts || r.connect.hosts.failed === 0,
};

// Returns {healthy, failed: [names of the checks that failed]}.
function health(result) {
  const failed = [];
  if (!result.ok) failed.push("the scenario completed" + (result.error ? `: ${result.error}` : ""));
  else {
    const checks = { ...COMMON, ...(CHECKS[result.scenario] || {}) };
    for (const [name, check] of Object.entries(checks)) {
      let passed = false;
      try {
        passed = Boolean(check(result));
      } catch (_) {
        passed = false; // a missing figure fails its check
      }
      if (!passed) failed.push(name);
    }
  }
  return { healthy: failed.length === 0, failed };
}

module.exports = { health, CHECKS };
