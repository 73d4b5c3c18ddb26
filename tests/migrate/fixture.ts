/**
 * A batou 2.x project written for the migration tests, in batou's own formats:
 * environments with every section, components with the common constructs, a
 * template. `local` deploys on this machine (tests/migrate/expected/local.json is what
 * Python batou wrote from it: see regenerate.ts there); `prod` and `staging` are checked only.
 */

export const APP_PY = `from batou.component import Attribute, Component, ConfigString, handle_event
from batou.lib.file import Directory, File, Symlink
from batou.utils import Address, CmdExecutionError


class App(Component):
    """The application."""

    port = Attribute(int, default=8080)
    workers = Attribute(int, ConfigString("2"))
    debug = Attribute(bool, default=False)
    hosts = Attribute("list", default=[])
    limits = Attribute("literal", default={"cpu": 1})
    address = Attribute(Address, ConfigString("localhost:8080"))
    ratio = Attribute(float, default=1.5)
    greeting = "Hello"
    password = None

    def configure(self):
        self.database = self.require_one("database", host=self.host)
        # logs first
        self += Directory("logs")
        self += File("app.conf", source="app.conf")
        self += File(
            "motd",
            content="Welcome to {{host.name}}, port {{component.port}}\\n",
        )
        self += Symlink("current.conf", source="app.conf")
        self += File("banner", content="=" * (4 * 5) + "\\n")

    def verify(self):
        self.assert_no_subcomponent_changes()

    def update(self):
        try:
            self.cmd("test -f missing-marker")
        except CmdExecutionError:
            self.cmd("touch checked")
        else:
            self.cmd("touch unexpected")

    @handle_event("before-update", "*")
    def announce(self, component):
        self.log("updating")
`;

export const APP_CONF = `port = {{ component.port }}
workers = {{ component.workers }}
debug = {{ component.debug }}
hosts = {{ component.hosts | join(",") }}
greeting = {{ component.greeting }}
database = {{ component.database }}
connect = {{ component.address.connect }}
ratio = {{ component.ratio }}
{% for key, value in component.limits | dictsort %}limit {{ key }} = {{ value }}
{% endfor %}role = {{ host.data.get("role", "none") }}
`;

export const DB_PY = `from batou.component import Component
from batou.lib.file import File


class Database(Component):
    name = "appdb"

    def configure(self):
        self.provide("database", self.name)
        self += File("db.conf", content="name={{component.name}}\\n", mode=0o600)


class Replica(Database):
    pass
`;

export const LOCAL_CFG = `# This machine
[environment]
connect_method = local
update_method = rsync
timeout = 3

[host:localhost]
# what runs here
components = app, database
data-role = primary

[component:app]
port = 9090
workers = 4
debug = True
hosts = a.example.com, b.example.com,
limits = {'cpu': 2, 'mem': 512}
ratio = 2

[resolver]
localhost = 127.0.0.1
`;

export const PROD_CFG = `[environment]
host_domain = example.com
service_user = app
target_directory = ~/deployment
branch = main
update_method = git-bundle
require_v4 = True
require_v6 = optional
jobs = 2

[hosts]
# web servers
web1 = app, database
!web2 = app, database

[host:web3]
components = app, replica
platform = debian
service_user = www
ignore = True
data-role = replica
provisioner = fc

[component:app]
port = 9091
debug = False
greeting = Hi there # not a comment for configparser

[resolver]
localhost = 127.0.0.1
    ::1

[vfs]
sandbox = Developer
`;

export const STAGING_CFG = `[environment]
host_domain = example.com

[hosts]
web1 = app, database
`;

/** The cleartext of a batou secrets.cfg (members filled in by the test). */
export function secretsCfg(members: string[], provider: string): string {
  return `[batou]
members = ${members.join(",\n    ")}
secret_provider = ${provider}

[component:app]
password = s3cret-value
workers = 7

[host:web1]
data-token = t0ken-value
`;
}

/** batou's SSH configuration for prod (batou reads `ssh_config_<env>`, else `ssh_config`). */
export const SSH_CONFIG_PROD = `Host web*
    User deploy
    ProxyJump bastion.example.com
`;

export const SSH_CONFIG = `Host *
    ServerAliveInterval 30
`;

/** The project's files (relative path → content). */
export function batouProject(): Record<string, string> {
  return {
    "components/app/component.py": APP_PY,
    "components/app/app.conf": APP_CONF,
    "components/database/component.py": DB_PY,
    "environments/local/environment.cfg": LOCAL_CFG,
    "environments/prod/environment.cfg": PROD_CFG,
    "environments/staging/environment.cfg": STAGING_CFG,
    ssh_config_prod: SSH_CONFIG_PROD,
    ssh_config: SSH_CONFIG,
  };
}
