import pluggy

hookimpl = pluggy.HookimplMarker("conda")
hookspec = pluggy.HookspecMarker("conda")
