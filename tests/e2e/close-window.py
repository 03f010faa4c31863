#!/usr/bin/env python3
"""Asks the app's window to close the way a window manager does when the user clicks its close
button: a WM_PROTOCOLS / WM_DELETE_WINDOW client message (Xvfb runs no window manager). Prints
the window's title first, so the test can check the count of unsent uploads in it.

Usage: close-window.py TITLE-PREFIX [--title-only]"""
import sys
from Xlib import X, display, protocol

prefix = sys.argv[1]
d = display.Display()
root = d.screen().root
wm_protocols = d.intern_atom('WM_PROTOCOLS')
wm_delete = d.intern_atom('WM_DELETE_WINDOW')
net_name = d.intern_atom('_NET_WM_NAME')
utf8 = d.intern_atom('UTF8_STRING')


def title(w):
    p = w.get_full_property(net_name, utf8)
    if p is not None:
        return p.value.decode('utf-8', 'replace')
    name = w.get_wm_name()
    return name.decode('utf-8', 'replace') if isinstance(name, bytes) else (name or '')


def walk(w):
    yield w
    for c in w.query_tree().children:
        yield from walk(c)


found = [w for w in walk(root) if title(w).startswith(prefix) and wm_delete in (w.get_wm_protocols() or [])]
if not found:
    sys.exit(f'no window titled {prefix!r} that accepts WM_DELETE_WINDOW')
w = found[0]
print(title(w))
if '--title-only' not in sys.argv:
    ev = protocol.event.ClientMessage(window=w, client_type=wm_protocols, data=(32, [wm_delete, X.CurrentTime, 0, 0, 0]))
    w.send_event(ev, event_mask=X.NoEventMask)
    d.flush()
