/**
 * The probe's fixed sequence (docs/probe.md lists it; `probe --dry-run` prints it). Every object
 * it writes is named `<iphost_prefix>probe_…`, addresses come from the benchmarking range
 * 198.18.0.0/15 (RFC 2544) and the documentation range 2001:db8::/32, and nothing else on the
 * firewall is read beyond the status of a Get filtered on a probe name.
 */

export interface ProbeStep {
  id: string;
  /** The open question of docs/emulator.md this step answers. */
  question: string;
  /** What is sent, in words. */
  does: string;
  /** The emulator switch (BehaviourSwitches key) the answer sets, if any. */
  switch?: string;
}

export const PROBE_SUFFIX = "probe_";

export const PROBE_STEPS: readonly ProbeStep[] = [
  {
    id: "cleanup-before",
    question: "-",
    does: "remove whatever an interrupted probe run left under the probe prefix",
  },
  { id: "login", question: "APIVersion", does: "login only; reads the Response's APIVersion" },
  {
    id: "read-none",
    question: "§10 zero-records text, read cost",
    does: "Get IPHost with Name = <probe>none",
    switch: "noRecordsText",
  },
  {
    id: "unmodelled-get",
    question: "Get of a known type the emulator does not model",
    does: "Get FQDNHost with Name = <probe>none",
    switch: "unmodelledGet",
  },
  { id: "unknown-entity", question: "Get of an unknown tag", does: "Get F2bProbeNoSuchEntity" },
  {
    id: "tag-case",
    question: "§10.13 tag case",
    does: "Get iphost (lower case) with Name = <probe>none",
    switch: "tagCase",
  },
  {
    id: "transactionid",
    question: "§10.6 transactionid echo",
    does: 'add IPHostGroup <probe>g4 with transactionid="f2b-probe-g4"',
    switch: "echoTransactionId",
  },
  { id: "write-1", question: "write cost, 1 entity", does: "add IPHost <probe>h1 (198.18.0.1) in <probe>g4" },
  {
    id: "write-100",
    question: "write cost, 100 entities",
    does: "add IPHost <probe>b000…b099 (198.18.1.0–99) in one request",
  },
  { id: "iplist-1", question: "IP list of 1 address", does: "add IPList <probe>l with 1 address" },
  { id: "iplist-1000", question: "IP list of 1,000 addresses", does: "update <probe>l to 1,000 addresses" },
  {
    id: "iplist-1001",
    question: "§5 IP list limit and its code",
    does: "update <probe>l to 1,001 addresses",
    switch: "ipListMax",
  },
  {
    id: "ipv6-prefix",
    question: "§10.7 IPv6 Subnet as prefix length",
    does: "add IPv6 Network <probe>n6p 2001:db8:f2b:1::, Subnet 64",
    switch: "ipv6Subnet",
  },
  {
    id: "ipv6-mask",
    question: "§10.7 IPv6 Subnet as mask",
    does: "add IPv6 Network <probe>n6m 2001:db8:f2b:2::, Subnet ffff:ffff:ffff:ffff::",
    switch: "ipv6Subnet",
  },
  {
    id: "remove-member",
    question: "§10.2 removing a host still in a group",
    does: "Remove IPHost <probe>h1 (member of <probe>g4)",
    switch: "removeMember",
  },
  {
    id: "missing-group",
    question: "§10.3 IPHost naming a missing group",
    does: "add IPHost <probe>mg in group <probe>nogroup",
    switch: "missingGroupCode",
  },
  {
    id: "update-missing",
    question: "§10.4 update of a missing object",
    does: 'Set operation="update" of IPHost <probe>um',
    switch: "updateMissing",
  },
  {
    id: "remove-missing-group",
    question: "remove of a missing group",
    does: "Remove IPHostGroup <probe>nogroup",
    switch: "removeMissingGroupCode",
  },
  {
    id: "duplicate-address",
    question: "§10.14 same address under another name",
    does: "add IPHost <probe>d1 and then <probe>d2, both 198.18.3.1",
    switch: "rejectDuplicateAddress",
  },
  {
    id: "invalid-enum",
    question: "invalid enumerated value (500 or 501)",
    does: 'add IPHost <probe>ev with HostType "F2bProbe"',
    switch: "invalidEnumCode",
  },
  {
    id: "cleanup",
    question: "-",
    does: "unlink and remove every <probe> host, remove every <probe> group, read back",
  },
  {
    id: "get-vs-post",
    question: "GET still answered on SFOS 20+",
    does: "the same Get without a Login block, once as POST and once as GET (no credentials in the URL)",
    switch: "getRequests",
  },
  {
    id: "get-long",
    question: "request-line length cap for GET",
    does: "that GET with an 8 KB URL",
    switch: "maxUrlBytes",
  },
];
