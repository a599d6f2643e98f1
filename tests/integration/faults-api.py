#!/usr/bin/python3
"""The host side of inject.sh's PUT /faults check (docs/FAULTS.md).

  faults-api.py SOCK DEVICE RULES FIRED READY
      creates the file READY once running (python starts slowly in the test
      host VM: start hv after it), waits for SOCK to answer GET /faults,
      gives DEVICE the rules RULES (PUT /faults/DEVICE), polls GET /faults
      until the first rule has fired FIRED times, prints that reply, then
      removes the rules (PUT "") and prints that reply.  Exit status 1 if a
      request fails or the rule has not fired FIRED times within 20 s.
"""
import importlib.util
import json
import os
import sys
import time

# api.sh's client: its request() sends raw bytes and returns the raw reply.
_spec = importlib.util.spec_from_file_location(
    "api_client", os.path.join(os.path.dirname(os.path.abspath(__file__)), "api-client.py"))
api_client = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(api_client)


def request(sock, method, path, body=b""):
    out = api_client.request(sock, b"%s %s HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n"
                             b"Connection: close\r\n\r\n%s" % (method.encode(), path.encode(),
                                                                 len(body), body))
    head, _, payload = out.partition(b"\r\n\r\n")
    return int(head.split()[1]), payload.decode()


def main():
    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    sock, dev, rules, fired, ready = sys.argv[1:]
    open(ready, "w").close()
    deadline = time.monotonic() + 20
    while True:
        try:
            request(sock, "GET", "/faults")
            break
        except OSError:
            if time.monotonic() > deadline:
                print("faults-api: no answer on %s" % sock, file=sys.stderr)
                return 1
            time.sleep(0.02)
    code, body = request(sock, "PUT", "/faults/" + dev, json.dumps({"rules": rules}).encode())
    if code != 200:
        print("faults-api: PUT answered %d: %s" % (code, body), file=sys.stderr)
        return 1
    while True:
        code, body = request(sock, "GET", "/faults")
        rs = json.loads(body)["devices"].get(dev, {}).get("rules", [])
        if rs and rs[0]["fired"] >= int(fired):
            print(body)
            break
        if time.monotonic() > deadline:
            print("faults-api: %s: fired %s times, not %s" % (dev, rs, fired), file=sys.stderr)
            return 1
        time.sleep(0.01)
    code, body = request(sock, "PUT", "/faults/" + dev, b'{"rules":""}')
    print(body)
    return 0 if code == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
