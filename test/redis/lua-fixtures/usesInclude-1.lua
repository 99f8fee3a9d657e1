--- @include "includes/two"
return one(KEYS[1])
