"""A lab on someone else's AWS: a running ``lambdalab server`` or a real AWS account.

:meth:`lambdalab.Lab.connect` returns a :class:`~lambdalab.remote.connected_lab.ConnectedLab`
with the lab's public surface (``client``, ``endpoint_url``, ``clock``, ``advance``,
``run_until_idle``, ``trace``, ``close``) on real time: names carry a per-run prefix and
tag (:mod:`.naming`), ``close`` deletes exactly those (:mod:`.cleanup`), the trace is read
from what AWS shows (:mod:`.log_trace`) and the run ends with a rough bill (:mod:`.cost`).
"""
