#!/usr/bin/python3
"""Drops a path on an X11 window the way a file manager does, through the
XDND protocol (version 5), so that a test can exercise an app's drop handling
under Xvfb. xdotool has no drag-and-drop.

usage: xdnd_drop.py WINDOW_ID PATH
Exits 0 once the target reports the drop finished, 1 when the target rejects
the drop or sends no reply within 20 seconds, and 77 when python3-xlib is
missing.
"""
import sys
import time
import urllib.parse

try:
    from Xlib import X, Xatom, display
    from Xlib.protocol import event
except ImportError:
    print("SKIP: python3-xlib is not installed")
    sys.exit(77)

XDND_VERSION = 5
TIMEOUT_SECONDS = 20.0


def send_client_message(connection, target, message_type, data):
    message = event.ClientMessage(window=target, client_type=message_type,
                                  data=(32, data))
    target.send_event(message, event_mask=X.NoEventMask)
    connection.flush()


def next_event(connection, deadline):
    """Returns the next X event, or None when the deadline passes first."""
    while connection.pending_events() == 0:
        if time.monotonic() > deadline:
            return None
        time.sleep(0.01)
    return connection.next_event()


def answer_selection_request(connection, request, uri_list, uri_atom, targets_atom):
    """Hands the URI list to a window that converts the XdndSelection."""
    requestor = request.requestor
    prop = request.property or request.target
    if request.target == uri_atom:
        requestor.change_property(prop, uri_atom, 8, uri_list)
    elif request.target == targets_atom:
        requestor.change_property(prop, Xatom.ATOM, 32, [uri_atom])
    else:
        prop = X.NONE
    notify = event.SelectionNotify(time=request.time, requestor=requestor,
                                   selection=request.selection,
                                   target=request.target, property=prop)
    requestor.send_event(notify, event_mask=X.NoEventMask)
    connection.flush()


def main():
    if len(sys.argv) != 3:
        print("usage: xdnd_drop.py WINDOW_ID PATH", file=sys.stderr)
        return 2
    connection = display.Display()
    root = connection.screen().root
    target = connection.create_resource_object("window", int(sys.argv[1], 0))
    source = root.create_window(0, 0, 1, 1, 0, X.CopyFromParent)
    atom = connection.intern_atom
    uri_atom = atom("text/uri-list")
    targets_atom = atom("TARGETS")
    uri_list = ("file://" + urllib.parse.quote(sys.argv[2]) + "\r\n").encode()

    aware = target.get_full_property(atom("XdndAware"), X.AnyPropertyType)
    if aware is None or not aware.value:
        print("xdnd_drop: window %s does not accept drops" % sys.argv[1])
        return 1
    version = min(XDND_VERSION, int(aware.value[0]))

    source.set_selection_owner(atom("XdndSelection"), X.CurrentTime)
    geometry = target.get_geometry()
    origin = target.translate_coords(root, 0, 0)
    x = -origin.x + geometry.width // 2
    y = -origin.y + geometry.height // 2

    send_client_message(connection, target, atom("XdndEnter"),
                        [source.id, version << 24, uri_atom, 0, 0])
    send_client_message(connection, target, atom("XdndPosition"),
                        [source.id, 0, (x << 16) | y, X.CurrentTime,
                         atom("XdndActionCopy")])

    deadline = time.monotonic() + TIMEOUT_SECONDS
    dropped = False
    while True:
        received = next_event(connection, deadline)
        if received is None:
            print("xdnd_drop: timed out waiting for the target")
            return 1
        if received.type == X.SelectionRequest:
            answer_selection_request(connection, received, uri_list, uri_atom, targets_atom)
        elif received.type == X.ClientMessage:
            kind = received.client_type
            data = received.data[1]
            if kind == atom("XdndStatus") and not dropped:
                if not data[1] & 1:
                    print("xdnd_drop: the target rejected text/uri-list")
                    send_client_message(connection, target, atom("XdndLeave"),
                                        [source.id, 0, 0, 0, 0])
                    return 1
                send_client_message(connection, target, atom("XdndDrop"),
                                    [source.id, 0, X.CurrentTime, 0, 0])
                dropped = True
            elif kind == atom("XdndFinished"):
                return 0


if __name__ == "__main__":
    sys.exit(main())
