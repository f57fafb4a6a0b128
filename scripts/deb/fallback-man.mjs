// A minimal man page made from `f2b-sophosxg --help`, used only while the build makes none
// (dist/f2b-sophosxg.1, generated from the command table, replaces it as soon as it exists).

/** Text safe inside roff: backslashes doubled, and no line may start with a control character. */
function roff(line) {
  const escaped = line.replaceAll("\\", "\\e").replaceAll("-", "\\-");
  return /^[.']/.test(escaped) ? `\\&${escaped}` : escaped;
}

export function fallbackManPage({ help, version, date }) {
  const lines = help.trimEnd().split("\n");
  const summary = (lines.find((line, i) => i > 0 && line.trim() !== "") ?? "").trim().replace(/\.$/, "");
  return [
    `.TH F2B\\-SOPHOSXG 1 "${date}" "f2b\\-sophosxg ${version}" "User Commands"`,
    ".SH NAME",
    `f2b\\-sophosxg \\- ${roff(summary)}`,
    ".SH SYNOPSIS",
    ".B f2b\\-sophosxg",
    ".I command",
    "[\\fIoptions\\fR]",
    ".SH DESCRIPTION",
    "The text of \\fBf2b\\-sophosxg \\-\\-help\\fR:",
    ".PP",
    ".nf",
    ...lines.map(roff),
    ".fi",
    ".SH FILES",
    ".TP",
    ".I /etc/f2b\\-sophosxg/config.json",
    "the configuration (mode 0600): firewall URL, user, password source, TLS pin",
    ".TP",
    ".I /etc/fail2ban/action.d/sophosxg.conf",
    "the Fail2ban action; use it with \\fBbanaction = sophosxg\\fR in jail.local",
    ".TP",
    ".I /var/lib/f2b\\-sophosxg",
    "the journal, the locks and the agent's status",
    ".SH SEE ALSO",
    ".BR fail2ban\\-client (1),",
    ".BR systemctl (1);",
    "/usr/share/doc/f2b\\-sophosxg/README.md.gz",
    "",
  ].join("\n");
}
