#!/usr/bin/env python3
"""A real SMTP server on loopback for the tests of the MSSanté sending (aiosmtpd, Debian's
python3-aiosmtpd): it makes its own certificate authority, server and client certificates with
openssl, offers STARTTLS, requires the client certificate after it, and writes every message it
accepts to DIR/NNN.eml with DIR/NNN.json (sender, recipients, the client certificate's subject).

    smtp-sink.py DIR [--fail-data N] [--reject PREFIX]

--fail-data N answers 451 to the first N messages (a transient failure, to be retried);
--reject PREFIX answers 550 to any recipient starting with PREFIX (a permanent one).
Prints one JSON line when ready: {"port", "ca", "clientCertificate", "clientKey"}; stops on stdin's end.
"""
import asyncio, json, os, socket, ssl, subprocess, sys
from aiosmtpd.controller import Controller


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def certificates(directory):
    paths = {name: os.path.join(directory, name) for name in
             ["ca.pem", "ca.key", "server.pem", "server.key", "client.pem", "client.key", "san.cnf"]}
    curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *curve, "-keyout", paths["ca.key"], "-out", paths["ca.pem"], "-days", "2",
            "-subj", "/CN=esms-test-ca")
    with open(paths["san.cnf"], "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for who, subject in [("server", "/CN=localhost"), ("client", "/O=ESMS TEST/CN=esms-mssante-test")]:
        csr = os.path.join(directory, who + ".csr")
        openssl("req", "-new", *curve, "-keyout", paths[who + ".key"], "-out", csr, "-subj", subject)
        extra = ["-extfile", paths["san.cnf"]] if who == "server" else []
        openssl("x509", "-req", "-in", csr, "-CA", paths["ca.pem"], "-CAkey", paths["ca.key"],
                "-CAcreateserial", "-out", paths[who + ".pem"], "-days", "2", *extra)
    return paths


class Sink:
    def __init__(self, directory, fail_data, reject):
        self.directory, self.fail_data, self.reject, self.count = directory, fail_data, reject, 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject and address.startswith(self.reject):
            return "550 5.1.1 destinataire inconnu"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.fail_data > 0:
            self.fail_data -= 1
            return "451 4.3.0 essayez plus tard"
        self.count += 1
        base = os.path.join(self.directory, "%03d" % self.count)
        peer = server.transport.get_extra_info("peercert") if server.transport else None
        subject = dict(item[0] for item in peer["subject"]) if peer else None
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content)
        with open(base + ".json.part", "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos, "tls": session.ssl is not None,
                       "clientCertificate": subject}, f)
        os.rename(base + ".json.part", base + ".json")
        return "250 2.0.0 message %03d accepte" % self.count


def main():
    directory = sys.argv[1]
    options = sys.argv[2:]
    fail_data = int(options[options.index("--fail-data") + 1]) if "--fail-data" in options else 0
    reject = options[options.index("--reject") + 1] if "--reject" in options else None
    os.makedirs(directory, exist_ok=True)
    paths = certificates(directory)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(paths["server.pem"], paths["server.key"])
    context.load_verify_locations(paths["ca.pem"])
    context.verify_mode = ssl.CERT_REQUIRED
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Sink(directory, fail_data, reject), hostname="127.0.0.1", port=port,
                            tls_context=context, require_starttls=True)
    controller.start()
    print(json.dumps({"port": port, "ca": paths["ca.pem"], "clientCertificate": paths["client.pem"],
                      "clientKey": paths["client.key"]}), flush=True)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
