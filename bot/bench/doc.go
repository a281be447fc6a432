// Package bench measures Escalate's scale figures (issue "every request
// and job costs what it shows or changes") against a Redis named by the
// operator, as `escalate bench` prints them: each figure with its goal
// and its ratio to the goal, and the store's transitions beside
// redis-benchmark's SET on the same Redis at the same number of clients.
//
// Guarantee: everything it writes is under a key prefix of its own
// ("bench:<random>:"), deleted when it ends (also when it fails), so it
// may run against a Redis that others use; it never flushes anything.
// redis-benchmark, when it is installed, is run on a key of that prefix
// too. Requests go through the real Slack HTTP handler, signed as Slack
// signs them, with a stand-in for Slack's Web API on loopback.
//
// Trade-off: the figures are the machine's and the Redis's of the moment.
// Redis's work is the processor time of its main thread (INFO cpu, see
// store.ServerTime): on a Redis others use, their work counts in it and in
// the latencies; the command says which Redis and
// machine it ran on so figures are compared like with like. The load
// generator runs in the same process as the handler, so the RSS figure
// includes it (an upper bound on the bot's).
//
// Key layout: the store's own (see package store) under B =
// "bench:<random>:{esc}:", plus "bench:<random>:redis-benchmark" for the
// SET comparison.
package bench
