--[[
  Applies the facts an event's merge queued (C.queue), which may queue more.
]]
--- @include "merge"
--- @include "codes"

local function drain(C)
  local i = 1
  local queue = C.queue
  while i <= #queue do
    if i > 256 then refuse(CODE.UNSETTLED, 256) end
    local f = queue[i]
    if f[1] == 'end' then
      applyEnd(C, f[2], f[3], f[4], f[5])
    elseif f[1] == 'start' then
      insertStart(C, f[2], f[3], false, f[3], f[4], nil)
    else
      seenAt(C, f[2], f[3], f[4])
    end
    i = i + 1
  end
end
