# The room's hub (jupyterhub_config.py) with nothing to set up: for trying it out on one's own
# machine, and for tests/test_classroom_hub.py. No Unix accounts are made.
#
#   jupyterhub -f classroom/trial_config.py     # then http://127.0.0.1:8000, any name and password
#
# - DummyAuthenticator lets anyone who reaches the hub log in under any name: loopback only.
# - SimpleLocalProcessSpawner runs every learner's server as the hub's own Unix user, in a home
#   of its own under $LAMBDALAB_HUB_HOMES. Learners then share one uid: each lab still refuses the
#   others' requests (SigV4, the Runtime API's peer check), but one learner's code can read
#   another's files and processes, kernels included. Never use it for a room: docs/classroom.md.
import os
from pathlib import Path

c = get_config()  # noqa: F821  (JupyterHub's config loader provides it)
load_subconfig(str(Path(__file__).with_name("jupyterhub_config.py")))  # noqa: F821

c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.admin_users = set()
c.Authenticator.allowed_users = set()  # DummyAuthenticator: everyone
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = (
    os.environ.get("LAMBDALAB_HUB_HOMES", "/tmp/lambdalab-hub") + "/{username}"
)
if os.geteuid() == 0:  # containers and CI machines run as root: Jupyter refuses root without this
    c.Spawner.args = ["--allow-root"]
