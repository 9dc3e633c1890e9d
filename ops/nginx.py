"""nginx as the load balancer: its configuration from deploy/nginx.conf.j2, and running it.

One template serves both places nginx balances the help desk:
- production (`python -m ops.nginx` writes deploy/nginx.conf, which the compose file mounts;
  a test checks that the committed file is this rendering);
- `helpdesk run --rasa-servers N --action-servers M` on one machine: `LocalNginx` renders it for
  the servers it started into a folder of its own and runs Debian's nginx there without root
  (`nginx -p <folder>`, every path inside the folder).
"""

from __future__ import annotations

import argparse
import grp
import os
import pwd
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from ats.settings import PROJECT_ROOT, ConfigurationError, Settings

TEMPLATE = PROJECT_ROOT / "deploy" / "nginx.conf.j2"
PRODUCTION_CONFIG = PROJECT_ROOT / "deploy" / "nginx.conf"
# non-root shells often have no sbin directories on their PATH; Debian's nginx lives there
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])
INSTALL_HINT = (
    "several servers on one machine are balanced by nginx, which is not installed: "
    "`make install` installs it when run as root (Debian/Ubuntu: sudo apt-get install nginx)"
)


def _render(**values: object) -> str:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE.parent),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # an nginx configuration, not HTML
    )
    return environment.get_template(TEMPLATE.name).render(**values)


def production_config() -> str:
    """deploy/nginx.conf: in front of the compose service `rasa`, as the root nginx of a
    container, with the servers' default limit per client address."""
    return _render(
        local=False,
        user=None,
        worker_processes="auto",
        worker_connections=4096,
        trusted_proxies=[],
        access_log="/dev/stdout",
        messages_per_minute=30,
        rasa_listen="80 default_server",
        rasa_servers=["rasa:5005"],
        actions_listen=None,
        action_servers=[],
    )


def _worker_user() -> str | None:
    """Started by root, nginx's workers need a user to run as; otherwise they run as whoever
    started nginx, and the configuration must not name one."""
    if os.geteuid() != 0:
        return None
    nobody = pwd.getpwnam("nobody")
    return f"nobody {grp.getgrgid(nobody.pw_gid).gr_name}"


def local_config(
    rasa_listen: str | None,
    rasa_servers: list[int],
    actions_listen: str | None = None,
    action_servers: list[int] | None = None,
    messages_per_minute: int = 30,
) -> str:
    """For servers on this machine (their ports on 127.0.0.1); `rasa_listen`/`actions_listen`
    are nginx's `listen` addresses (host:port), None for a kind of server nginx does not
    front."""
    return _render(
        local=True,
        user=_worker_user(),
        worker_processes=1,  # a laptop or one VM: one worker handles thousands of connections
        worker_connections=1024,
        # a TLS proxy on this machine in front of nginx (docs/deploy.md)
        trusted_proxies=["127.0.0.1", "::1"],
        access_log="access.log",
        messages_per_minute=messages_per_minute,
        rasa_listen=rasa_listen,
        rasa_servers=[f"127.0.0.1:{port}" for port in rasa_servers],
        actions_listen=actions_listen,
        action_servers=[f"127.0.0.1:{port}" for port in action_servers or []],
    )


def find_nginx() -> str:
    """The nginx binary: on the PATH, or in /usr/sbin."""
    found = shutil.which("nginx", path=SEARCH_PATH)
    if not found:
        raise ConfigurationError(INSTALL_HINT)
    return found


@dataclass
class LocalNginx:
    """A folder with nginx's configuration, temporary files, pid and access log, and the
    command that runs nginx there in the foreground."""

    config: str
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="helpdesk-nginx-")))

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        # nginx started by root runs its workers as nobody: they must reach the temporary files
        self.folder.chmod(0o755)
        (self.folder / "temp").mkdir(exist_ok=True)
        (self.folder / "nginx.conf").write_text(self.config)

    @property
    def access_log(self) -> Path:
        return self.folder / "access.log"

    def command(self, nginx: str | None = None) -> list[str]:
        return [
            nginx or find_nginx(),
            "-e",
            "stderr",  # before the configuration is read, too (not /var/log/nginx/, root's)
            "-p",
            f"{self.folder}/",
            "-c",
            "nginx.conf",
            "-g",
            "daemon off;",
        ]

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


ACCESS_LINE = re.compile(r'" (?P<status>\d{3}) \d+ \S+ upstream=(?P<upstreams>[^"]*) "')


def servers_answering(access_log: str) -> set[str]:
    """The servers (host:port) whose last request in an access log of the template's format
    they answered; a server nginx passed over to the next one, or that answered 5xx, did not."""
    answering: dict[str, bool] = {}
    for line in access_log.splitlines():
        match = ACCESS_LINE.search(line)
        if not match or match["upstreams"] in ("", "-"):
            continue
        *passed_over, last = [u.strip() for u in match["upstreams"].split(",")]
        for server in passed_over:
            answering[server] = False
        answering[last] = int(match["status"]) < 500
    return {server for server, answered in answering.items() if answered}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Writes deploy/nginx.conf from deploy/nginx.conf.j2; with --folder, the "
        "configuration for servers on this machine instead (deploy/systemd/)."
    )
    parser.add_argument("--folder", type=Path, help="nginx's folder (nginx -p): config, temp")
    parser.add_argument("--listen", default="0.0.0.0:5005", help="the Rasa servers' front")
    parser.add_argument("--rasa-ports", type=int, nargs="*", default=[])
    parser.add_argument("--actions-listen", default="127.0.0.1:5055")
    parser.add_argument("--action-ports", type=int, nargs="*", default=[])
    args = parser.parse_args(argv)
    if not args.folder:
        PRODUCTION_CONFIG.write_text(production_config())
        print(f"wrote {PRODUCTION_CONFIG.relative_to(PROJECT_ROOT)}", file=sys.stderr)
        return
    config = local_config(
        rasa_listen=args.listen if args.rasa_ports else None,
        rasa_servers=args.rasa_ports,
        actions_listen=args.actions_listen if args.action_ports else None,
        action_servers=args.action_ports,
        messages_per_minute=Settings.from_env().messages_per_minute,
    )
    LocalNginx(config, args.folder)


if __name__ == "__main__":
    main()
