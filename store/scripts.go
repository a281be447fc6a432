package store

import "github.com/redis/go-redis/v9"

// Every script follows one rule: read and validate everything first (the
// argument shapes, the type of every key it will touch, the version), and
// only then write, with commands that cannot fail on keys of the right
// type. Redis runs a script in isolation but does not roll back one that
// fails after a write, so "validate, then write" is what makes each script
// all or nothing.

// luaPrelude holds the helpers the scripts share. ARGV[1] is always the
// base ("<prefix>{esc}:") every key name is built from.
const luaPrelude = `
local base = ARGV[1]
-- want checks that k holds a t or nothing, with a read that fails on
-- any other type (a third of the cost of TYPE, whose answer is a table).
local wantRead = {zset = 'ZCARD', set = 'SCARD', hash = 'HLEN', list = 'LLEN', stream = 'XLEN', string = 'STRLEN'}
-- It returns the read's answer: 0 for a key that does not exist (and, for
-- a string, one that is empty), so a caller that only needs to know
-- whether the key exists spares itself an EXISTS.
local function want(k, t)
  local r = redis.pcall(wantRead[t], k)
  if type(r) == 'table' and r.err then
    error('ESCALATE key ' .. k .. ' does not hold a ' .. t)
  end
  return r
end
-- wantSets checks several keys at once that each hold a set or nothing
-- (SINTERCARD refuses any other type, one call whatever their number).
local function wantSets(keys)
  for j = 1, #keys, 1000 do
    local r = redis.pcall('SINTERCARD', math.min(1000, #keys - j + 1), unpack(keys, j, math.min(j + 999, #keys)))
    if type(r) == 'table' and r.err then error('ESCALATE one of ' .. #keys .. ' keys does not hold a set') end
  end
end
-- num checks a numeric argument. The error names the argument, never its
-- value: a misaligned call could put free text where a number belongs.
local function num(v, what)
  if tonumber(v) == nil then error('ESCALATE ' .. what .. ' is not a number') end
  return v
end
local tz, tc, td, tt = base .. 'timers', base .. 'timers:claimed', base .. 'timers:data', base .. 'timers:token'
local oq, oc, oage, oparked = base .. 'ob', base .. 'ob:claimed', base .. 'ob:age', base .. 'ob:parked'
-- claimable lists up to limit ids to claim: first those whose claim (in the
-- claimed set) expired, then due ones from the queue, soonest first. Its
-- cost is that of the ids taken, however many are pending.
local function claimable(claimed, queue, now, limit)
  local ids, seen = {}, {}
  local function collect(list)
    for _, id in ipairs(list) do
      if not seen[id] then seen[id] = true; ids[#ids + 1] = id end
    end
  end
  collect(redis.call('ZRANGEBYSCORE', claimed, '-inf', now, 'LIMIT', 0, limit))
  if #ids < limit then collect(redis.call('ZRANGEBYSCORE', queue, '-inf', now, 'LIMIT', 0, limit - #ids)) end
  return ids
end
local function wantTimerKeys()
  want(tz, 'zset'); want(tc, 'zset'); want(td, 'hash'); want(tt, 'hash')
end
local function wantOutboxKeys()
  want(oq, 'zset'); want(oc, 'zset'); want(oage, 'zset'); want(oparked, 'zset')
end
-- readTimers reads n timers (id, due, json) from ARGV at i.
local function readTimers(i)
  local n = tonumber(num(ARGV[i], 'timer count'))
  local out = {}
  for j = 1, n do
    local at = i + 1 + (j - 1) * 3
    out[j] = {id = ARGV[at], due = num(ARGV[at + 1], 'timer due'), json = ARGV[at + 2]}
    if not out[j].json then error('ESCALATE timer arguments are short') end
  end
  return out, i + 1 + n * 3
end
-- setTimer (re)sets a timer: it is due again, and any claim on it is void,
-- so acking the old claim leaves the new timer in place.
local function setTimer(ref, t)
  redis.call('ZADD', tz, t.due, t.id)
  redis.call('HSET', td, t.id, t.json)
  redis.call('SADD', base .. 'dt:' .. ref, t.id)
  redis.call('ZREM', tc, t.id)
  redis.call('HDEL', tt, t.id)
end
-- setTimersOf (re)sets several timers of one case, as setTimer does each,
-- in five calls however many they are.
local function setTimersOf(ref, ts)
  local zargs, hargs, ids = {}, {}, {}
  for j, t in ipairs(ts) do
    zargs[#zargs + 1] = t.due; zargs[#zargs + 1] = t.id
    hargs[#hargs + 1] = t.id; hargs[#hargs + 1] = t.json
    ids[j] = t.id
  end
  redis.call('ZADD', tz, unpack(zargs))
  redis.call('HSET', td, unpack(hargs))
  redis.call('SADD', base .. 'dt:' .. ref, unpack(ids))
  redis.call('ZREM', tc, unpack(ids))
  redis.call('HDEL', tt, unpack(ids))
end
-- readOutbox reads n outbox items (id, target, message, ms) from ARGV at i.
local function readOutbox(i)
  local n = tonumber(num(ARGV[i], 'outbox count'))
  local out = {}
  for j = 1, n do
    local at = i + 1 + (j - 1) * 4
    out[j] = {id = ARGV[at], target = ARGV[at + 1], msg = ARGV[at + 2], ms = num(ARGV[at + 3], 'outbox time')}
    -- The checks double as the existence test enqueue needs (an item is
    -- never an empty hash, a delivered marker never an empty string).
    out[j].known = want(base .. 'o:' .. out[j].id, 'hash') > 0 or want(base .. 'ob:done:' .. out[j].id, 'string') > 0
  end
  want(base .. 'ob:seq', 'string')
  return out, i + 1 + n * 4
end
-- An outbox item is added unless it is already queued, claimed, parked or
-- recently delivered: the same message enqueued twice is sent once. Its
-- score is its millisecond followed by three digits of a sequence, so
-- items keep the order they were enqueued in, and a claimer whose clock
-- reads that millisecond already sees them (see outboxScore in Go).
--
-- enqueueAll does so for items read by readOutbox, in four calls plus one
-- per item: one INCRBY hands out the sequence numbers the items would
-- have had from an INCR each, and one ZADD per sorted set adds them all.
-- stale says the existence readOutbox saw may have changed since (a purge
-- in the same script deleted items), so it is asked again.
local function enqueueAll(items, stale)
  local fresh, seen = {}, {}
  for _, it in ipairs(items) do
    local known = it.known
    if stale then
      known = redis.call('EXISTS', base .. 'o:' .. it.id) == 1 or redis.call('EXISTS', base .. 'ob:done:' .. it.id) == 1
    end
    if not known and not seen[it.id] then seen[it.id] = true; fresh[#fresh + 1] = it end
  end
  if #fresh == 0 then return end
  local last = redis.call('INCRBY', base .. 'ob:seq', #fresh)
  local zargs = {}
  for j, it in ipairs(fresh) do
    local score = it.ms .. string.format('%03d', (last - #fresh + j) % 1000)
    redis.call('HSET', base .. 'o:' .. it.id, 't', it.target, 'm', it.msg, 'a', 0, 'q', score)
    zargs[#zargs + 1] = score; zargs[#zargs + 1] = it.id
  end
  redis.call('ZADD', oq, unpack(zargs))
  redis.call('ZADD', oage, unpack(zargs))
end
-- A case's index entries: per-person and per-stage indexes are sorted
-- sets scored by deadline, open-by-raising-date (oc:) one scored by when
-- the case was raised, open (by stage), closed (by closing time) and all
-- (by creation) sorted sets too, the per-agency ones plain sets. The
-- key's name says which, so an entry the case was in can be removed
-- knowing only its key.
local zsetKeys = {open = true, closed = true, all = true}
local function memType(k)
  local p = string.sub(k, 1, 3)
  if p == 'pd:' or p == 'od:' or p == 'oc:' or zsetKeys[k] then return 'zset' end
  return 'set'
end
-- parseMembers reads a case's index entries as they are kept (field m of
-- d:<ref>, and the argument that replaces it): "key\nscore\n" per entry,
-- score '' for a set. It returns them in order, as {key, score}.
local function parseMembers(m)
  local out = {}
  for k, sc in string.gmatch(m, '([^\n]*)\n([^\n]*)\n') do out[#out + 1] = {key = k, score = sc} end
  return out
end
-- memberDiff compares the entries a case is in (oldm, the kept list; nil
-- for a case written before the list was kept, whose entries are named by
-- its mem:<ref> set, scores unknown, and which may be in open and closed)
-- with those it will be in (newm). It checks the type of every key it will
-- touch and returns what to remove and what to (re)write: an entry whose
-- key and score are unchanged is left alone.
local function memberDiff(ref, memk, oldm, newm, legacy)
  local new = parseMembers(newm)
  if #new * 2 ~= select(2, string.gsub(newm, '\n', '')) then error('ESCALATE index entries are malformed') end
  local old, oldList = {}, {}
  if oldm then
    for _, e in ipairs(parseMembers(oldm)) do old[e.key] = e.score; oldList[#oldList + 1] = e.key end
  elseif legacy then
    want(memk, 'set')
    for _, k in ipairs(redis.call('SMEMBERS', memk)) do old[k] = false; oldList[#oldList + 1] = k end
    for _, k in ipairs({'open', 'closed', 'all'}) do
      if old[k] == nil then old[k] = false; oldList[#oldList + 1] = k end
    end
  end
  local keep, put, drop = {}, {}, {}
  for _, e in ipairs(new) do
    local t = memType(e.key)
    if t == 'zset' then num(e.score, 'index score') end
    keep[e.key] = true
    if old[e.key] ~= e.score then want(base .. e.key, t); put[#put + 1] = e end
  end
  for _, k in ipairs(oldList) do
    if not keep[k] then want(base .. k, memType(k)); drop[#drop + 1] = k end
  end
  return put, drop
end
-- applyMembers writes what memberDiff found.
local function applyMembers(ref, put, drop)
  for _, k in ipairs(drop) do
    if memType(k) == 'zset' then redis.call('ZREM', base .. k, ref) else redis.call('SREM', base .. k, ref) end
  end
  for _, e in ipairs(put) do
    if memType(e.key) == 'zset' then redis.call('ZADD', base .. e.key, e.score, ref) else redis.call('SADD', base .. e.key, ref) end
  end
end
-- dropOutboxOf removes every outbox item of a case (queued, claimed or
-- parked): retention removes the case's free text, which its messages carry.
local function dropOutboxOf(ref)
  local p = ref .. '/'
  for _, z in ipairs({oq, oc, oparked}) do
    for _, id in ipairs(redis.call('ZRANGE', z, 0, -1)) do
      if string.sub(id, 1, #p) == p then
        redis.call('DEL', base .. 'o:' .. id)
        redis.call('ZREM', oq, id); redis.call('ZREM', oc, id)
        redis.call('ZREM', oage, id); redis.call('ZREM', oparked, id)
      end
    end
  end
end
`

// commitScript writes one transition. Returns 1 written, 2 already written
// (this very call, retried by the client after a lost reply: the dispute
// is at the new version and carries this call's commit id), -1 duplicate
// idempotency key, -2 version conflict, -3 no such dispute.
//
// ARGV: base, ref, prev version, new version, commit id, dispute JSON,
// idempotency key ("" for none), idempotency TTL (ms), open (1 while the
// case is open, 0 once closed), the case's index entries (see
// parseMembers and indexList), clear timers (0/1), purge history (0/1);
// then counted sections: events (public JSON, text, the stream's facts),
// timers (id, due µs, JSON), outbox items (id, target, message, enqueued
// ms); then the stream's cap: how long entries are kept (ms, "" for ever)
// and the most entries kept ("" for no limit), both trimmed approximately
// (whole stream nodes); then a counted section: a purge's rewritten log
// (see purgedLog), which replaces the case's log before the purge's own
// event is appended. Purging also drops the case's outbox items.
//
// It costs what the transition changes: index entries whose key and score
// are unchanged (field m of the case holds them) are not written, and only
// the keys it writes are checked.
var commitScript = redis.NewScript(luaPrelude + `
local ref = ARGV[2]
local prev = tonumber(num(ARGV[3], 'previous version'))
local ver = tonumber(num(ARGV[4], 'version'))
local commit, dispute, idem, idemTTL = ARGV[5], ARGV[6], ARGV[7], num(ARGV[8], 'idempotency TTL')
local isOpen, newm = ARGV[9] == '1', ARGV[10]
local clear, purge = ARGV[11] == '1', ARGV[12] == '1'
if not purge and ARGV[12] ~= '0' then error('ESCALATE purge flag is malformed') end

local i = 13
local nev = tonumber(num(ARGV[i], 'event count'))
local events, anyText = {}, false
for j = 1, nev do
  events[j] = {pub = ARGV[i + 1 + (j - 1) * 3], text = ARGV[i + 2 + (j - 1) * 3], facts = ARGV[i + 3 + (j - 1) * 3]}
  if not events[j].facts then error('ESCALATE event arguments are short') end
  if events[j].text ~= '' then anyText = true end
end
i = i + 1 + nev * 3
local timers
timers, i = readTimers(i)
local items
items, i = readOutbox(i)
local keepMs, maxLen = ARGV[i], ARGV[i + 1]
if not maxLen then error('ESCALATE stream trim arguments are short') end
if keepMs ~= '' then num(keepMs, 'stream keep') end
if maxLen ~= '' then num(maxLen, 'stream max length') end
i = i + 2
local nrelog = tonumber(num(ARGV[i], 'purged log count'))
local relog = {}
for j = 1, nrelog do relog[j] = ARGV[i + j] end
i = i + 1 + nrelog
if nrelog > 0 and not purge then error('ESCALATE a purged log without a purge') end
if i - 1 ~= #ARGV then error('ESCALATE expected ' .. (i - 1) .. ' arguments, got ' .. #ARGV) end

local dk, evk, exk, memk, dtk = KEYS[1], base .. 'ev:' .. ref, base .. 'ex:' .. ref, base .. 'mem:' .. ref, base .. 'dt:' .. ref
local stream, chg, chgseq = base .. 'events', base .. 'chg', base .. 'chg:seq'
local idemk = base .. 'idem:' .. idem

-- HMGET fails on a d:<ref> of another type, GET on an idempotency key.
local cur = redis.call('HMGET', dk, 'v', 'c', 'm')
if cur[1] and tonumber(cur[1]) == ver and cur[2] == commit then return 2 end
if idem ~= '' then
  -- An idempotency key's value (ref|version) is never empty.
  if want(idemk, 'string') > 0 then return -1 end
end
if prev == 0 then
  if cur[1] or redis.call('EXISTS', dk) == 1 then return -2 end
else
  if not cur[1] then return -3 end
  if tonumber(cur[1]) ~= prev then return -2 end
end

-- Check every key this transition writes, and only those.
if nev > 0 or nrelog > 0 then want(evk, 'list') end
if nev > 0 then want(stream, 'stream') end
if anyText then want(exk, 'hash') end
if isOpen then want(chg, 'zset'); want(chgseq, 'string') else want(chg, 'zset') end
local cleared = {}
if clear then
  want(dtk, 'set')
  cleared = redis.call('SMEMBERS', dtk)
end
if #cleared > 0 or #timers > 0 then
  wantTimerKeys()
  if not clear then want(dtk, 'set') end -- clear checked it above
end
if purge then wantOutboxKeys() elseif #items > 0 then want(oq, 'zset'); want(oage, 'zset') end
local put, drop, legacy = {}, {}, false
if cur[3] ~= newm then
  legacy = not cur[3] and prev ~= 0
  put, drop = memberDiff(ref, memk, cur[3], newm, legacy)
end

-- Everything is checked: from here on the script only writes.
if cur[3] ~= newm then
  redis.call('HSET', dk, 'v', ver, 'c', commit, 'j', dispute, 'm', newm)
else
  redis.call('HSET', dk, 'v', ver, 'c', commit, 'j', dispute)
end
if purge then
  redis.call('DEL', exk)
  dropOutboxOf(ref)
  if nrelog > 0 then
    redis.call('DEL', evk)
    for j = 1, nrelog, 1000 do redis.call('RPUSH', evk, unpack(relog, j, math.min(j + 999, nrelog))) end
  end
end
local xadd
if keepMs ~= '' then
  if nev > 0 then
    -- Stream ids are the server's milliseconds, so the cut-off is reckoned
    -- on the server's clock too.
    local t = redis.call('TIME')
    local minID = string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - tonumber(keepMs))
    xadd = {'XADD', stream, 'MINID', '~', minID}
  end
elseif maxLen ~= '' then
  -- Only a cap on the length: XADD trims as it adds.
  xadd = {'XADD', stream, 'MAXLEN', '~', maxLen}
  maxLen = ''
else
  xadd = {'XADD', stream}
end
local xn = xadd and #xadd or 0
for _, e in ipairs(events) do
  local idx = redis.call('RPUSH', evk, e.pub) - 1
  xadd[xn + 1], xadd[xn + 2], xadd[xn + 3], xadd[xn + 4], xadd[xn + 5], xadd[xn + 6], xadd[xn + 7] = '*', 'r', ref, 'i', idx, 'e', e.facts
  local n = xn + 7
  if e.text ~= '' then
    redis.call('HSET', exk, idx, e.text)
    xadd[xn + 8], xadd[xn + 9] = 'x', '1'
    n = xn + 9
  end
  redis.call(unpack(xadd, 1, n))
end
if maxLen ~= '' and nev > 0 then redis.call('XTRIM', stream, 'MAXLEN', '~', maxLen) end
if #cleared > 0 then
  redis.call('ZREM', tz, unpack(cleared)); redis.call('ZREM', tc, unpack(cleared))
  redis.call('HDEL', td, unpack(cleared)); redis.call('HDEL', tt, unpack(cleared))
  redis.call('DEL', dtk)
end
if #timers > 0 then setTimersOf(ref, timers) end
applyMembers(ref, put, drop)
if legacy then redis.call('DEL', memk) end
-- The auditor checks the open cases changed since it last ran (chg, in
-- order of change) and sweeps the rest slowly.
if isOpen then
  redis.call('ZADD', chg, redis.call('INCR', chgseq), ref)
else
  redis.call('ZREM', chg, ref)
end
enqueueAll(items, purge)
if idem ~= '' then redis.call('SET', idemk, ref .. '|' .. ver, 'PX', idemTTL) end
return 1
`)

// setTimersScript sets timers outside a transition (the auditor's repair).
// ARGV: base, then timers (id, due µs, JSON) with each timer's ref after
// its JSON: count, (id, due, json)…, count, ref….
var setTimersScript = redis.NewScript(luaPrelude + `
local timers, i = readTimers(2)
local refs = {}
local n = tonumber(num(ARGV[i], 'ref count'))
for j = 1, n do refs[j] = ARGV[i + j]; want(base .. 'dt:' .. refs[j], 'set') end
if n ~= #timers or i + n ~= #ARGV then error('ESCALATE timer arguments do not match') end
wantTimerKeys()
for j, t in ipairs(timers) do setTimer(refs[j], t) end
return #timers
`)

// claimTimersScript claims up to limit due timers: first those whose claim
// expired, then the due ones, soonest first. The cost is that of the
// timers taken, however many are pending. Returns id, JSON pairs.
// ARGV: base, now µs, limit, lease expiry µs, token.
var claimTimersScript = redis.NewScript(luaPrelude + `
local now, limit, lease, token = num(ARGV[2], 'now'), tonumber(num(ARGV[3], 'limit')), num(ARGV[4], 'lease'), ARGV[5]
wantTimerKeys()
local ids = claimable(tc, tz, now, limit)
local out, took, lost = {}, {}, {}
-- A batch is read and moved in a handful of calls, however many it holds.
for j = 1, #ids, 500 do
  local chunk = {unpack(ids, j, math.min(j + 499, #ids))}
  local js = redis.call('HMGET', td, unpack(chunk))
  redis.call('ZREM', tz, unpack(chunk))
  local zargs, hargs = {}, {}
  for k, id in ipairs(chunk) do
    if not js[k] then
      -- An index entry without its timer (cannot happen through this
      -- package): drop it.
      lost[#lost + 1] = id
    else
      zargs[#zargs + 1] = lease; zargs[#zargs + 1] = id
      hargs[#hargs + 1] = id; hargs[#hargs + 1] = token
      out[#out + 1] = id
      out[#out + 1] = js[k]
    end
  end
  if #zargs > 0 then
    redis.call('ZADD', tc, unpack(zargs))
    redis.call('HSET', tt, unpack(hargs))
  end
end
if #lost > 0 then redis.call('ZREM', tc, unpack(lost)); redis.call('HDEL', tt, unpack(lost)) end
return out
`)

// ackTimersScript removes claimed timers, except those a transition
// re-set since the claim (their token no longer matches, and the new timer
// stays). ARGV: base, then (id, token, ref) per timer. Returns how many
// were removed.
var ackTimersScript = redis.NewScript(luaPrelude + `
if (#ARGV - 1) % 3 ~= 0 then error('ESCALATE ack arguments come in threes') end
wantTimerKeys()
local dts, seen = {}, {}
for i = 2, #ARGV, 3 do
  local k = base .. 'dt:' .. ARGV[i + 2]
  if not seen[k] then seen[k] = true; dts[#dts + 1] = k end
end
wantSets(dts)
local n = 0
for j = 2, #ARGV, 1500 do
  local ids, toks, refs = {}, {}, {}
  for i = j, math.min(j + 1499, #ARGV), 3 do
    ids[#ids + 1], toks[#toks + 1], refs[#refs + 1] = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  end
  local held = redis.call('HMGET', tt, unpack(ids))
  local done = {}
  for k, id in ipairs(ids) do
    if toks[k] ~= '' and held[k] == toks[k] then
      done[#done + 1] = id
      redis.call('SREM', base .. 'dt:' .. refs[k], id)
    end
  end
  if #done > 0 then
    redis.call('ZREM', tc, unpack(done)); redis.call('HDEL', tt, unpack(done)); redis.call('HDEL', td, unpack(done))
  end
  n = n + #done
end
return n
`)

// deferTimerScript puts a claimed timer back with a new due time.
// ARGV: base, id, token, due µs, JSON.
var deferTimerScript = redis.NewScript(luaPrelude + `
local id, token, due, json = ARGV[2], ARGV[3], num(ARGV[4], 'due'), ARGV[5]
wantTimerKeys()
if redis.call('HGET', tt, id) ~= token then return 0 end
redis.call('ZREM', tc, id); redis.call('HDEL', tt, id)
redis.call('ZADD', tz, due, id); redis.call('HSET', td, id, json)
return 1
`)

// enqueueScript adds outbox items outside a transition.
// ARGV: base, then items (id, target, message, enqueued ms).
var enqueueScript = redis.NewScript(luaPrelude + `
local items, i = readOutbox(2)
if i - 1 ~= #ARGV then error('ESCALATE outbox arguments do not match') end
wantOutboxKeys()
enqueueAll(items, false)
return #items
`)

// claimOutboxScript claims up to limit items ready to send: first those
// whose claim expired, then the due ones, earliest first. Returns seven
// values per item: id, target, message, attempts, enqueued score, last
// error, pending since (ms, ” when no attempt was made). ARGV: base, now
// score, limit, lease expiry score, token.
var claimOutboxScript = redis.NewScript(luaPrelude + `
local now, limit, lease, token = num(ARGV[2], 'now'), tonumber(num(ARGV[3], 'limit')), num(ARGV[4], 'lease'), ARGV[5]
wantOutboxKeys()
local ids = claimable(oc, oq, now, limit)
for _, id in ipairs(ids) do want(base .. 'o:' .. id, 'hash') end
local out = {}
for _, id in ipairs(ids) do
  local k = base .. 'o:' .. id
  local f = redis.call('HMGET', k, 't', 'm', 'a', 'q', 'e', 's')
  redis.call('ZREM', oq, id)
  if not f[1] or not f[2] then
    -- An index entry without its item (cannot happen through this
    -- package): drop the entry rather than hand out nothing.
    redis.call('ZREM', oc, id); redis.call('ZREM', oage, id)
  else
    redis.call('ZADD', oc, lease, id)
    redis.call('HSET', k, 'k', token)
    local at = #out
    out[at + 1] = id; out[at + 2] = f[1]; out[at + 3] = f[2]
    out[at + 4] = f[3] or '0'; out[at + 5] = f[4] or '0'; out[at + 6] = f[5] or ''
    out[at + 7] = f[6] or ''
  end
end
return out
`)

// settleOutboxScript ends a claim on an outbox item: ack (delivered),
// retry (again at a time), defer (again at a time, not attempted) or park
// (for an operator). A claim that is no
// longer the holder's (lease expired and claimed again, or already
// settled) is left alone. ARGV: base, id, token, action, time score, error,
// sent TTL (ms).
var settleOutboxScript = redis.NewScript(luaPrelude + `
local id, token, action, at, errText, sentTTL = ARGV[2], ARGV[3], ARGV[4], num(ARGV[5], 'time'), ARGV[6], num(ARGV[7], 'sent TTL')
local k = base .. 'o:' .. id
wantOutboxKeys(); want(k, 'hash'); want(base .. 'ob:done:' .. id, 'string')
if action ~= 'ack' and action ~= 'retry' and action ~= 'park' and action ~= 'defer' and action ~= 'pause' then error('ESCALATE unknown outbox action ' .. action) end
local pk
if action == 'pause' then
  pk = base .. 'ob:paused:' .. (redis.call('HGET', k, 't') or '')
  want(pk, 'zset')
end
if token == '' or redis.call('HGET', k, 'k') ~= token then return 0 end
redis.call('ZREM', oc, id)
if action == 'ack' then
  redis.call('DEL', k); redis.call('ZREM', oage, id)
  redis.call('SET', base .. 'ob:done:' .. id, '1', 'PX', sentTTL)
elseif action == 'pause' then
  redis.call('HDEL', k, 'k')
  redis.call('ZADD', pk, redis.call('HGET', k, 'q') or at, id)
elseif action == 'defer' then
  redis.call('HDEL', k, 'k')
  redis.call('ZADD', oq, at, id)
elseif action == 'retry' then
  redis.call('HINCRBY', k, 'a', 1); redis.call('HSET', k, 'e', errText); redis.call('HDEL', k, 'k')
  redis.call('ZADD', oq, at, id)
else
  redis.call('HINCRBY', k, 'a', 1); redis.call('HSET', k, 'e', errText, 'p', at); redis.call('HDEL', k, 'k')
  redis.call('ZREM', oage, id); redis.call('ZADD', oparked, at, id)
end
return 1
`)

// pendOutboxScript records, before a platform is called, that an attempt
// to deliver a claimed item is under way: from then on a retry must look
// for the message before sending it again. The first attempt's time is
// kept. Returns the pending-since time (ms), or false when the claim is no
// longer the caller's. ARGV: base, id, token, now (ms).
var pendOutboxScript = redis.NewScript(luaPrelude + `
local id, token, now = ARGV[2], ARGV[3], num(ARGV[4], 'now')
local k = base .. 'o:' .. id
want(k, 'hash')
if token == '' or redis.call('HGET', k, 'k') ~= token then return false end
local since = redis.call('HGET', k, 's')
if not since then since = now; redis.call('HSET', k, 's', now) end
return since
`)

// resumeOutboxScript puts up to limit paused items of a platform (its
// circuit was open) back in the queue, oldest first, each at the score it
// was enqueued with, so they are due at once and go out in the order they
// were written. Items gone meanwhile (a purged case) are dropped. Returns
// how many it moved. ARGV: base, platform, limit (0: all).
var resumeOutboxScript = redis.NewScript(luaPrelude + `
local pk, limit = base .. 'ob:paused:' .. ARGV[2], tonumber(num(ARGV[3], 'limit'))
wantOutboxKeys(); want(pk, 'zset')
local stop = -1
if limit > 0 then stop = limit - 1 end
local zs = redis.call('ZRANGE', pk, 0, stop, 'WITHSCORES')
local n = 0
for i = 1, #zs, 2 do
  local id, sc = zs[i], zs[i + 1]
  redis.call('ZREM', pk, id)
  if redis.call('EXISTS', base .. 'o:' .. id) == 1 then
    redis.call('ZADD', oq, sc, id); n = n + 1
  end
end
return n
`)

// replayScript puts a parked item back in the queue with its attempts
// reset. ARGV: base, id, now score.
var replayScript = redis.NewScript(luaPrelude + `
local id, now = ARGV[2], num(ARGV[3], 'now')
local k = base .. 'o:' .. id
wantOutboxKeys(); want(k, 'hash')
if not redis.call('ZSCORE', oparked, id) or redis.call('EXISTS', k) == 0 then return 0 end
redis.call('ZREM', oparked, id)
redis.call('HSET', k, 'a', 0); redis.call('HDEL', k, 'p', 'k')
redis.call('ZADD', oq, now, id); redis.call('ZADD', oage, now, id)
return 1
`)

// reindexScript puts one open case in the indexes it belongs in (see
// indexList), unless the case moved on since it was read (its version
// differs: the transition that moved it indexed it already). A case
// written before its entries were kept on it (field m) has them kept now,
// and its mem:<ref> set goes. Returns 1 reindexed, 0 skipped. ARGV: base,
// ref, version, the case's index entries.
var reindexScript = redis.NewScript(luaPrelude + `
local ref, ver, newm = ARGV[2], num(ARGV[3], 'version'), ARGV[4]
if #ARGV ~= 4 then error('ESCALATE reindex arguments do not match') end
local dk, memk = KEYS[1], base .. 'mem:' .. ref
local cur = redis.call('HMGET', dk, 'v', 'm')
if cur[1] ~= ver then return 0 end
local put, drop = memberDiff(ref, memk, cur[2], newm, not cur[2])
applyMembers(ref, put, drop)
if not cur[2] then redis.call('DEL', memk) end
redis.call('HSET', dk, 'm', newm)
return 1
`)
