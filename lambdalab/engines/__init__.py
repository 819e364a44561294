"""The engines: what Lambda does between an event arriving and a function running.

One module per AWS concept (asynchronous invocation, SQS pollers, stream
pollers, push sources and schedules).  Each engine is a class given only the
ports it uses (:mod:`lambdalab.ports`); :mod:`lambdalab.wiring` builds and
connects them.  Engines run as processes on the lab's virtual clock and never
sleep or start threads.
"""
