--[[
  Replaces a legal hold's record only if it is still the one the caller read, so that two
  lifts at once record one lift, not two.
  Input:
    KEYS[1] the holds hash                       {whohad}:holds
    ARGV[1] hold id
    ARGV[2] the record as read
    ARGV[3] the new record
  Output: 1 when replaced, 0 when the record had changed
]]
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
