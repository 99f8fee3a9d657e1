/**
 * Free text that goes into the access log and its CSV export (case, purpose, reasons): no C0 or
 * C1 control characters (so no CR, LF or NEL), no line or paragraph separator (U+2028, U+2029:
 * line breaks to JavaScript and many viewers), and no bidirectional controls (U+202A-U+202E,
 * U+2066-U+2069, marks U+200E, U+200F, U+061C), which make a reader see text in another order
 * than the one stored. The one pattern every such field uses; it starts with \u0000, which is how
 * the error handler knows to say "control characters".
 */
export const PLAIN_TEXT = '^[^\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028-\\u202e\\u2066-\\u2069]*$';
