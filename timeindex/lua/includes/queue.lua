--[[
  Facts that no longer fit an entry after a merge are applied again, in order, at the end of
  the event (drain). The queue lives in the chain context, one per event.
]]
local function later(C, fact) C.queue[#C.queue + 1] = fact end
