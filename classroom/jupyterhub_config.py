# A JupyterHub for a room, on one machine: each learner logs in with an account of the machine
# and gets a JupyterLab of their own, running as that account, opened at the course's first
# notebook. See docs/classroom.md (set-up, sizing, what learners can and cannot reach).
#
#   jupyterhub -f classroom/jupyterhub_config.py          # as root, from the kit's environment
#
# JupyterHub's configuration reference: https://jupyterhub.readthedocs.io/en/stable/reference/config-reference.html
# The spawner: LocalProcessSpawner starts each learner's server as the learner's own Unix user (it
# must exist: the authenticator below can create it), so learners cannot read each other's files,
# processes or kernels. The Littlest JupyterHub does the same with systemdspawner, which also puts
# each server in a systemd unit with memory and CPU limits; LocalProcessSpawner cannot enforce
# limits (mem_limit below is only advertised to the server). trial_config.py swaps in
# SimpleLocalProcessSpawner (every learner one Unix user: no isolation) for a try-out and the tests.
import os
import pwd
import shutil
import sys
from pathlib import Path
from typing import Any

c = get_config()  # noqa: F821  (JupyterHub's config loader provides it)

KIT = Path(__file__).resolve().parent.parent
NOTEBOOKS = KIT / "notebooks"
# each learner's copy of the course, in their home (a folder named "lambdalab" would hide the package
# from the kernel, which runs there)
COURSE = "lambdalab-course"

# -- where the hub listens ---------------------------------------------------------------------
# Loopback by default. For a room, put the machine's address here with TLS
# (c.JupyterHub.ssl_cert / ssl_key), or keep loopback behind a TLS reverse proxy.
c.JupyterHub.bind_url = "http://127.0.0.1:8000"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:8081"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:8001"
# the proxy from classroom/package.json (npm ci --prefix classroom), else one on PATH
_proxy = KIT / "classroom" / "node_modules" / ".bin" / "configurable-http-proxy"
if _proxy.exists():
    c.ConfigurableHTTPProxy.command = [str(_proxy)]

# -- who may log in ----------------------------------------------------------------------------
# Accounts of this machine (PAM). The instructor lists the room; create_system_users makes the
# Unix account of a listed learner the first time an admin adds them.
c.JupyterHub.authenticator_class = "pam"
c.LocalAuthenticator.create_system_users = True
c.Authenticator.admin_users = {"instructor"}
c.Authenticator.allowed_users = set()  # fill in: {"ana", "ben", ...}

# -- each learner's server -----------------------------------------------------------------------
c.JupyterHub.spawner_class = "localprocess"
# the kit's own environment: jupyterhub-singleuser beside the Python running the hub
c.Spawner.cmd = [str(Path(sys.executable).with_name("jupyterhub-singleuser"))]
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = f"/lab/tree/{COURSE}/00-start-here.ipynb"
c.Spawner.environment = {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"}
# sized by benchmarks/classroom.py (docs/classroom.md): one learner's kernel and functions stay
# under 300 MB, and the server itself adds under 100 MB
c.Spawner.mem_limit = "1G"
c.Spawner.cpu_limit = 1.0
c.Spawner.start_timeout = 120  # a loaded machine starts servers slowly
c.Spawner.http_timeout = 120
# stop servers idle for an hour (jupyterhub-idle-culler is the service for that), or by hand


def home_of(spawner: Any) -> Path:
    """The learner's home: the spawner's own (SimpleLocalProcessSpawner) or their account's."""
    home = getattr(spawner, "home_dir", "")
    return Path(home) if home else Path(pwd.getpwnam(spawner.user.name).pw_dir)


def copy_course(spawner: Any) -> None:
    """Give a learner their own copy of the notebooks the first time their server starts.

    Later starts keep the learner's answers; docs/instructors.md says how to hand out an updated course.
    """
    course = home_of(spawner) / COURSE
    if course.exists():
        return
    course.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(NOTEBOOKS, course, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    if os.geteuid() == 0:  # the hub runs as root: the copy belongs to the learner
        try:
            account = pwd.getpwnam(spawner.user.name)
        except KeyError:
            return  # SimpleLocalProcessSpawner: no such account, everything runs as the hub's user
        for path in [course, *course.rglob("*")]:
            os.chown(path, account.pw_uid, account.pw_gid)


c.Spawner.pre_spawn_hook = copy_course
