"""A loopback HTTP server speaking the part of the Kubernetes API the webhook's cache uses:
list and watch of ServiceAccounts (as PartialObjectMetadata, what a metadata watcher asks for),
GET of one ServiceAccount, and list/watch of ConfigMaps in a namespace. The real `kube` client of
`kwi webhook serve` talks to it; tests add, change and delete objects while it runs."""

import json
import queue
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class Cluster:
    """The objects, a resource version, and the open watches."""

    def __init__(self):
        self.lock = threading.Lock()
        self.version = 1
        self.service_accounts = {}  # (ns, name) -> annotations
        self.listed_service_accounts = set()  # keys hidden from list/watch (the #174 race) are not in it
        self.config_maps = {}  # (ns, name) -> data
        self.watches = []  # (kind, namespace, queue)
        self.gets = []  # (ns, name) of direct GETs
        self.listing = threading.Event()  # cleared: lists of ServiceAccounts wait (a slow API server)
        self.listing.set()

    def _meta(self, ns, name, annotations):
        return {"name": name, "namespace": ns, "uid": f"uid-{ns}-{name}", "resourceVersion": str(self.version),
                "annotations": annotations}

    def sa_object(self, ns, name):
        return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                "metadata": self._meta(ns, name, self.service_accounts[(ns, name)])}

    def cm_object(self, ns, name):
        return {"kind": "ConfigMap", "apiVersion": "v1", "metadata": self._meta(ns, name, {}),
                "data": self.config_maps[(ns, name)]}

    def _notify(self, kind, ns, event, obj):
        for watch_kind, watch_ns, q in list(self.watches):
            if watch_kind == kind and (watch_ns is None or watch_ns == ns):
                q.put({"type": event, "object": obj})

    def put_service_account(self, ns, name, annotations, listed=True):
        with self.lock:
            self.version += 1
            existed = (ns, name) in self.service_accounts
            self.service_accounts[(ns, name)] = annotations
            if listed:
                self.listed_service_accounts.add((ns, name))
                self._notify("sa", ns, "MODIFIED" if existed else "ADDED", self.sa_object(ns, name))

    def delete_service_account(self, ns, name):
        with self.lock:
            self.version += 1
            obj = self.sa_object(ns, name)
            del self.service_accounts[(ns, name)]
            self.listed_service_accounts.discard((ns, name))
            self._notify("sa", ns, "DELETED", obj)

    def put_config_map(self, ns, name, data):
        with self.lock:
            self.version += 1
            existed = (ns, name) in self.config_maps
            self.config_maps[(ns, name)] = data
            self._notify("cm", ns, "MODIFIED" if existed else "ADDED", self.cm_object(ns, name))


def handler(cluster: Cluster):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def send_json(self, code, body):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def not_found(self, what):
            self.send_json(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                                 "code": 404, "message": f"{what} not found"})

        def watch(self, kind, ns, initial_version):
            q = queue.Queue()
            with cluster.lock:
                cluster.watches.append((kind, ns, q))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                while True:
                    try:
                        event = q.get(timeout=1)
                    except queue.Empty:
                        continue
                    line = (json.dumps(event) + "\n").encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass
            finally:
                with cluster.lock:
                    cluster.watches.remove((kind, ns, q))

        def do_GET(self):
            url = urlparse(self.path)
            query = parse_qs(url.query)
            parts = url.path.strip("/").split("/")
            watching = query.get("watch", ["false"])[0] in ("true", "1")
            # /api/v1/serviceaccounts (all namespaces)
            if parts == ["api", "v1", "serviceaccounts"]:
                if watching:
                    return self.watch("sa", None, query.get("resourceVersion", ["0"])[0])
                cluster.listing.wait()
                with cluster.lock:
                    items = [cluster.sa_object(ns, n) for (ns, n) in sorted(cluster.listed_service_accounts)]
                    version = str(cluster.version)
                return self.send_json(200, {"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
                                            "metadata": {"resourceVersion": version}, "items": items})
            # /api/v1/namespaces/NS/serviceaccounts/NAME
            if len(parts) == 6 and parts[:3] == ["api", "v1", "namespaces"] and parts[4] == "serviceaccounts":
                ns, name = parts[3], parts[5]
                with cluster.lock:
                    cluster.gets.append((ns, name))
                    if (ns, name) not in cluster.service_accounts:
                        return self.not_found(f'serviceaccounts "{name}"')
                    return self.send_json(200, cluster.sa_object(ns, name))
            # /api/v1/namespaces/NS/configmaps
            if len(parts) == 5 and parts[:3] == ["api", "v1", "namespaces"] and parts[4] == "configmaps":
                ns = parts[3]
                wanted = query.get("fieldSelector", [""])[0].removeprefix("metadata.name=")
                if watching:
                    return self.watch("cm", ns, query.get("resourceVersion", ["0"])[0])
                with cluster.lock:
                    items = [cluster.cm_object(n_ns, n) for (n_ns, n) in cluster.config_maps if n_ns == ns and (not wanted or n == wanted)]
                    version = str(cluster.version)
                return self.send_json(200, {"kind": "ConfigMapList", "apiVersion": "v1",
                                            "metadata": {"resourceVersion": version}, "items": items})
            self.not_found(url.path)

    return Handler


def start(cluster: Cluster):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(cluster))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
