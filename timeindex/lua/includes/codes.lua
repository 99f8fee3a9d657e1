--[[
  Outcome codes the scripts return instead of free text. timeindex/codes.ts holds the same
  table (test/timeindex/codes.test.ts checks they agree) and turns each into a reason for people.
]]
local CODE = {
  COLLISION = 'holder_collision',
  UNSETTLED = 'merge_unsettled',
  PROFILES_FULL = 'profiles_full',
  FAULT = 'script_fault',
}

-- Fails the event being merged with a code and what it concerns (the key, a count).
local function refuse(code, detail) error({ code = code, detail = detail }, 0) end
