"use strict";
// S5: with many participants connected and joined, a fresh host connects; time from
// starting its connection to receiving the roster. Repeated, one host at a time.

const { openParticipants, openHost, sleep } = require("../fleet");
const { round, median, CpuWindow } = require("../metrics");

async function run(opts, result, log, deadline) {
  const { participants, stats } = await openParticipants(opts, opts.connected, deadline, log);
  result.connect = { participants: stats };
  if (participants.length === 0) throw new Error("no participant joined");

  const times = [];
  const sizes = [];
  const errors = [];
  let rosterBytes = null;
  const cpu = new CpuWindow(opts.serverPid).start();
  for (let r = 0; r < opts.repeats; r += 1) {
    const got = await openHost(opts);
    if (got.error) {
      errors.push(got.error);
      continue;
    }
    times.push(got.ms);
    const roster = got.host.roster;
    sizes.push(Array.isArray(roster.participants) ? roster.participants.length : null);
    if (rosterBytes === null) rosterBytes = Buffer.byteLength(JSON.stringify(roster));
    got.host.socket.close();
    log(`S5: roster ${r + 1}/${opts.repeats} in ${round(got.ms, 1)} ms`);
    await sleep(200);
  }
  result.cpu = cpu.stop();
  result.snapshot = {
    joined: participants.length,
    repeats: opts.repeats,
    roster_ms: times.map((t) => round(t, 2)),
    median_ms: round(median(times), 2),
    max_ms: times.length ? round(Math.max(...times), 2) : null,
    roster_participants: sizes,
    roster_bytes: rosterBytes,
    errors,
  };
}

module.exports = { run };
