// Package failover kills and restarts the redis-server processes of a
// Redis Cluster or Sentinel setup on this machine, for Escalate's failover
// tests (build tag "failover") and `escalate bench faults`: it finds the
// master holding Escalate's slot (Cluster) or the master Sentinel names,
// kills it with SIGKILL, times its replica's promotion, and afterwards
// starts the dead node again so that it rejoins as a replica and the next
// failover has one to promote.
//
// Guarantee: it only ever signals a process that a node on a loopback
// address reported as its own (INFO server process_id), and starts a node
// again only from what that node reported (executable, config_file), so
// the topologies must be started from config files by full path, as
// .ci/redis-topologies does. It can also start a standalone redis-server
// of its own (append-only, fsync on every write) to kill and restart.
//
// Trade-off: it is for local test topologies only: a node on another
// machine is refused, not reached over the network.
//
// Key layout: none; it writes no keys.
package failover
