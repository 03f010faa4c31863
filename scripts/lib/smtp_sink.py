"""A real SMTP server on loopback for the tests (the API suite, the end-to-end run), on
Debian's python3-aiosmtpd.

Usage: smtp_sink.py DIR
Listens on 127.0.0.1 on a free port, prints the port, and writes each message it accepts to
DIR as NNNN.eml (as received) and NNNN.json ({"from", "to", "subject", "text", "html"}, the
MIME parts decoded). A recipient whose address starts with "refuse" is refused with 550, as a
mail server refuses an unknown mailbox. Stops when its standard input closes (the test ended).
"""
import asyncio
import email
import email.policy
import json
import os
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, folder):
        self.folder = folder
        # Numbering goes on from what the folder already holds, so a restarted demo keeps its mail.
        self.count = sum(1 for name in os.listdir(folder) if name.endswith(".json"))

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().startswith("refuse"):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        part = lambda kind: (msg.get_body((kind,)).get_content() if msg.get_body((kind,)) else None)
        facts = {
            "from": str(msg["From"]),
            "to": str(msg["To"]),
            "envelope_to": envelope.rcpt_tos,
            "subject": str(msg["Subject"]),
            "text": part("plain"),
            "html": part("html"),
        }
        base = os.path.join(self.folder, f"{self.count:04d}")
        with open(base + ".eml.tmp", "wb") as f:
            f.write(raw)
        os.rename(base + ".eml.tmp", base + ".eml")
        with open(base + ".json.tmp", "w", encoding="utf-8") as f:
            json.dump(facts, f)
        os.rename(base + ".json.tmp", base + ".json")
        return "250 Message accepted"


async def main(folder):
    loop = asyncio.get_running_loop()
    sink = Sink(folder)
    server = await loop.create_server(lambda: SMTP(sink, hostname="sink.test"), "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await loop.run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
