--[[
  Appends a batch of access-log records, chained by the caller, if the chain head is still the
  one the caller chained onto; otherwise changes nothing and returns the current head, so the
  caller can chain again. Also indexes each record by user, case and disclosed subscriber.
  Input:
    KEYS[1] the log stream                       {audit}:log
    KEYS[2] the head hash (seq, hash)            {audit}:head
    ARGV[1] seq the caller expects the head to have ('0' for an empty log)
    ARGV[2] hash the caller expects the head to have
    ARGV[3] index key prefix                     {audit}:by:
    then per record: seq, hash, time ms (unused by the script, kept for the caller), user, case, number of subscribers n, n subscriber ids,
    the record's canonical JSON
  Output: { 'ok' } or { 'moved', seq, hash }
]]
local rcall = redis.call
local head = rcall('HMGET', KEYS[2], 'seq', 'hash')
local seq = head[1] or '0'
if seq ~= ARGV[1] or (head[2] and head[2] ~= ARGV[2]) then
  return { 'moved', seq, head[2] or '' }
end
local prefix = ARGV[3]
local i = 4
local lastSeq, lastHash
while i <= #ARGV do
  local rseq, rhash, time, user, case, n = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], tonumber(ARGV[i + 5])
  local json = ARGV[i + 6 + n]
  -- index members are stream ids (time-ordered, fetchable); scores are sequence numbers
  local id = rcall('XADD', KEYS[1], '*', 'seq', rseq, 'r', json)
  if user ~= '' then rcall('ZADD', prefix .. 'user:' .. user, rseq, id) end
  if case ~= '' then rcall('ZADD', prefix .. 'case:' .. case, rseq, id) end
  for j = 1, n do rcall('ZADD', prefix .. 'sub:' .. ARGV[i + 5 + j], rseq, id) end
  lastSeq, lastHash = rseq, rhash
  i = i + 7 + n
end
if lastSeq then rcall('HSET', KEYS[2], 'seq', lastSeq, 'hash', lastHash) end
return { 'ok' }
