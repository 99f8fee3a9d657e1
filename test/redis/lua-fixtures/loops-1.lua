--- @include "includes/cycleA"
return 1
