// Package store is Escalate's Redis persistence: disputes, their event
// log, the timer index, the outbox, idempotency keys and platform
// conversation references.
//
// # One hash tag, one slot
//
// Every key lives under one hash tag, "<prefix>{esc}:", so on Redis Cluster
// all of Escalate's keys hash to the same slot (Sentinel and a single
// server have one keyspace anyway). That is what makes a transition truly
// all-or-nothing: one Lua script writes the dispute, appends its events to
// the dispute's log and to the global stream, replaces its timers in the
// global timer index, enqueues its notifications in the global outbox,
// moves it between the open/closed/per-person/per-agency indexes and
// records the idempotency key, and Redis runs a script as one isolated
// step on one node. The global indexes can therefore never disagree with a
// dispute: there is no second write to lose, nothing to repair.
//
// The trade-off: Cluster gives Escalate high availability and failover but
// not sharding; all of a partnership's data sits on one primary. A
// partnership raises hundreds to a few thousand disagreements a year and
// each open case costs a few kilobytes (see the memory benchmark), so one
// primary has room to spare by orders of magnitude. Spreading disputes over
// slots ({ESC-2026-0042} per case) would need the cross-dispute indexes
// (timers, outbox, open-by-stage) written in a second step and repaired
// after a crash; that buys capacity Escalate does not need at the price of
// the "a crash cannot leave a state change without its timers or its
// notifications" guarantee.
//
// The scripts build their key names from the base prefix they are given
// (KEYS[1] is always a key of the tag, so the call routes to the right
// node); all of them are in the same slot, which Cluster requires.
//
// # Key layout (B = "<prefix>{esc}:")
//
//	B d:<ref>            hash   v = version, j = dispute JSON (free text encrypted),
//	                            c = id of the commit that wrote it, m = the index
//	                            entries the case is in with their scores
//	                            ("key\nscore\n" each; pd:, od:, oa:, oc:, open,
//	                            closed, all): a transition writes only those that
//	                            changed
//	B ev:<ref>           list   the dispute's events, oldest first, without free text
//	                            (a purge rewrites it without names: Event.Purged)
//	B ex:<ref>           hash   list index → the event's free text (JSON, encrypted)
//	B events             stream every event of every dispute: r = ref, i = list index,
//	                            e = the event's facts (no summary, no names, no free
//	                            text), x = 1 when it has text;
//	                            capped (see "The event stream's cap")
//	B mem:<ref>          set    (schema 4 and before) the index keys the dispute was
//	                            in; replaced by field m of d:<ref> on upgrade or at
//	                            the case's next transition
//	B pd:<user>          zset   open cases a person is involved in, score = deadline (µs;
//	                            0 when none): a page of a person's list is one ZRANGE
//	B od:<stage>         zset   open cases at a stage of the main route (od:<route>:<stage>
//	                            on another of the policy's routes), score = deadline (µs; +inf when none,
//	                            0 for a lapsed case with none): the digest counts open
//	                            (ZCARD) and overdue (ZCOUNT to now) per stage and lists the
//	                            longest overdue (ZRANGEBYSCORE … LIMIT), see DigestIndex
//	B oa:<agency>        set    refs of the open cases an agency is party to
//	B oc:                zset   open refs, score = raised at (µs): the board report's
//	                            open cases raised before its period ended (PeriodRefs)
//	B open               zset   open refs, score = stage
//	B chg                zset   open refs changed since the auditor last looked, score =
//	                            order of change (chg:seq); the auditor removes what it checked
//	B chg:seq            string the sequence that orders chg
//	B audit:sweep        string where the auditor's slow sweep over open stopped (a rank)
//	B schema             string the index layout's version ("5"), set by UpgradeIndexes
//	B closed             zset   closed refs, score = closed at (µs)
//	B all                zset   every ref, score = created at (µs)
//	B ref:<year>         string the year's reference counter
//	B timers             zset   timer id → due (µs); unclaimed timers only
//	B timers:claimed     zset   timer id → lease expiry (µs)
//	B timers:data        hash   timer id → timer JSON
//	B timers:token       hash   timer id → token of the claim holding it
//	B dt:<ref>           set    the dispute's timer ids
//	B o:<id>             hash   outbox item: t target, m message (encrypted), a attempts,
//	                            q enqueued, e last error (encrypted), k claim token,
//	                            p parked at, s pending since (ms): set before the
//	                            platform is first called, so a retry looks for the
//	                            message before sending it again (PendOutbox)
//	B ob                 zset   outbox item id → due; ready to send
//	B ob:claimed         zset   outbox item id → lease expiry
//	B ob:age             zset   undelivered, unparked item id → enqueued
//	B ob:parked          zset   parked item id → parked at
//	B ob:paused:<p>      zset   items of platform p held while its circuit is open
//	                            (not due), id → the score it was enqueued with
//	B ob:seq             string sequence that orders items within a millisecond
//	B ob:done:<id>       string a delivered item (expires after a week), so the
//	                            same message enqueued again is not sent twice
//	B dl:<id>            string where a platform put an outbox item's message
//	                            ("conversation|activity"), written as soon as it
//	                            answered (expires after a week): a retry finds it
//	                            there instead of sending again (SetDelivered)
//	B idem:<key>         string idempotency key of a transition: "<ref>|<version>" it
//	                            wrote (expires after 24h)
//	B once:<key>         string Once keys; once:slack-request:<signature> is a
//	                            signed Slack request seen, kept while its
//	                            timestamp would be accepted
//	B xref:<kind>        hash   platform conversation references: key → value
//	B directory:people   string the people imported by escalate directory import (JSON;
//	                            see directory.go), replaced whole with directory:meta
//	B directory:groups   string the members of Entra groups and Entra line managers, as
//	                            last read from Graph (JSON; with directory:groups:at)
//	B people:names       hash   user id → the name their platform gave (see people.go);
//	                            a purge forgets the purged case's people
//
// # Costs
//
// Every read a person or a job makes costs what it shows or changes, not
// what the store holds: a page of a person's list is a ZRANGE of pd:<user>
// and one HGET per case on it; a transition reads the dispute alone (one
// HGET) unless the workflow needs its history (escalating, a new holder,
// the closing record), and its script writes only the index entries that
// changed (compared with the list kept on the case) and checks the type of
// only the keys it writes, with reads that fail on another type; the digest's counts are ZCARD/ZCOUNT per stage and
// it reads only the cases it lists (DigestIndex); the auditor reads chg
// (what changed since it last ran) and a bounded slice of open for its
// slow sweep (ChangedOpen, SweepOpen, CaseTimers); the board report reads
// the references of the open cases and of those closed since its period
// began, and decodes only those raised before it ended (PeriodRefs); a
// batch of due timers is read and committed in one pipeline each
// (Disputes, CommitMany) and acknowledged in one script (AckTimers).
//
// # The event stream's cap
//
// The stream is a feed for consumers that follow every case; the record
// itself is each case's own log (ev:<ref>), which is never trimmed. The
// stream keeps what retention keeps: each commit's XADD trims it with
// MINID ~ to Options.StreamKeep before the server's clock (serve sets it to
// retention.days_after_closure), and with XTRIM MAXLEN ~ to
// Options.StreamMaxLen (a million entries by default) so a flood cannot
// grow it without bound either. Both trim whole stream nodes, so a few
// entries may outlive the cut by a little: the cost of O(1) trimming. A
// consumer that falls further behind than the cap loses the oldest
// entries it had not read and must resynchronise from the cases' logs.
//
// Times in the timer and dispute scores are microseconds since the Unix
// epoch (exact in a double until the year 2255). Outbox times are
// milliseconds × 1000 plus a three-digit sequence, so items enqueued in one
// millisecond (one transition's messages) keep their order and are all due
// to a claimer whose clock reads that millisecond.
package store
