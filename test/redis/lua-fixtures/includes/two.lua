local function one(k) return redis.call("GET", k) end
