export const USAGE = `Usage: f2b-sophosxg <command> [options]

Fail2ban ban action for the Sophos Firewall (XG/XGS, SFOS) XML API.

Fail2ban actions (called by action.d/sophosxg.conf):
  start                  create the IPv4 and IPv6 IP host groups if missing
  stop                   change nothing on the firewall (the groups are used in rules)
  check                  check reachability, login, read access and the groups
  ban    --ip IP         block IP (IPv4, IPv6 or CIDR) through the family's group
  unban  --ip IP         release IP (removed when no jail holds it any more)
  flush                  release every hold of --jail (all jails without it) for --family

Operations:
  sync [--from-fail2ban] make the firewall equal to the desired state (--dry-run shows the plan)
  status [--json]        pending changes, last delivery, last error, members per group
  agent                  run the delivery agent in the foreground (systemd: systemd/f2b-sophosxg.service)
  fleet status|leave     a fleet member: Redis, pusher and members; leave releases this host's holds (docs/fleet.md)
  list [--json]          what is on the firewall, the jails that hold it, and drift from local state
  doctor                 walk the whole chain (config, network, TLS, API, login, groups, state, agent, Fail2ban)
  install [--root DIR]   install the CLI, the action file, a config template and the systemd unit
  emulator [--help]      run the embedded Sophos Firewall API emulator

Options:
  --ip IP                address or network, as Fail2ban passes <ip>
  --configfile PATH      config file (default /etc/f2b-sophosxg/config.json)
  --jail NAME            the Fail2ban jail (<name>); default "default"
  --family inet4|inet6   the address family (<family>)
  --time EPOCH           time of the ban (<time>); default now
  --bantime SECONDS      ban duration (<bantime>); -1 = until unbanned
  --restored 0|1         whether Fail2ban restored the ban at start (<restored>)
  --dry-run              print the requests that would be sent (password masked); send nothing
  --json                 machine-readable output (status, list)
  --root DIR             install below DIR instead of / (packaging, tests)
  -h, --help             this help
  -V, --version          the version

Environment:
  F2B_SOPHOSXG_CONFIG    config file when --configfile is not given
  F2B_SOPHOSXG_STATE_DIR state directory when the config has no state_dir (default /var/lib/f2b-sophosxg)

Exit codes: 0 done or safely journaled, 1 firewall/network/storage failure, 2 usage or configuration error.`;
