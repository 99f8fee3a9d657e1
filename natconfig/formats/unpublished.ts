/**
 * Deterministic NAT of vendors whose formula is not published in full. whohad does not guess a
 * formula: a wrong one names the wrong subscriber. For these devices the operator exports the
 * device's own mapping (its `show` output) and imports it as `table` (table.ts).
 *
 * - `a10-fixed-nat` (A10 Thunder `cgnv6 fixed-nat inside … nat … ports-per-user …`): A10's
 *   manuals describe the options (ports-per-user, usable NAT ports, offset, the IP selection
 *   method) and the `show cgnv6 fixed-nat` commands, but not the order in which inside users
 *   are laid over NAT addresses and port blocks.
 * - `juniper-deterministic` (Junos `port deterministic block-size … host address-ranges`): the
 *   "Understanding Deterministic NAPT Algorithms" page names the variables (Block_Size, the
 *   default block size int(64512 / ceil(inside / outside)), Base_PR_Prefix, Pr_Offset × Block_Size,
 *   first port 1024) but the steps from the port offset to the public address and port are not
 *   given in text we could verify, and `include-boundary-addresses` and the first usable pre-NAT
 *   address shift the offset in ways the page does not spell out.
 * - `nokia-deterministic` (SR OS deterministic NAT `map start … end … to …`): the NAT guide says
 *   the mapping follows "a known formula" and that the router can produce the reverse mapping
 *   itself; the formula is drawn, not written, and depends on the static port-forwarding range
 *   and the pool's port reservation.
 */
export const unpublishedFormats: Readonly<Record<string, string>> = {
  'a10-fixed-nat':
    "A10's fixed-NAT formula is not published in full; export the mapping with the device's `show cgnv6 fixed-nat` and import it with --format table",
  'juniper-deterministic':
    "Junos deterministic NAPT's formula is not published in full; export the mapping with the device's `show services nat deterministic-nat` and import it with --format table",
  'nokia-deterministic':
    "Nokia's deterministic NAT formula is not published in full; export the mapping from the router (its deterministic-NAT look-up or script) and import it with --format table",
};
