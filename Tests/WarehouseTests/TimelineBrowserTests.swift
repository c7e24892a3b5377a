import Foundation
import TestSupport
import Testing

@testable import Warehouse

/// The timeline in a real browser: Go's own Catapult viewer (trace_viewer_full.html and webcomponents.min.js,
/// read at test time from the oracle toolchain's GOROOT, never copied into the repository), embedded the way
/// go tool trace embeds it (internal/trace/traceviewer/http.go, templTrace), loading our JSON over loopback in
/// Debian's headless Chromium. The page writes the viewer's model (slices per track, async slices, flow arrows,
/// import warnings) into the DOM, read back through the DevTools protocol; a screenshot must show more than the
/// same viewer with no events does. About 10 s.
///
/// Needs chromium ($TRACEWARE_CHROMIUM, else chromium or chromium-browser on PATH; scripts/test.sh finds it and
/// .ci/run installs it) and python3 (the loopback server and the protocol driver, standard library only):
/// skipped locally without them, failed in CI.
enum BrowserSupport {
    static let chromium: String? = {
        let env = ProcessInfo.processInfo.environment
        if let path = env["TRACEWARE_CHROMIUM"], !path.isEmpty { return path }
        return executable("chromium") ?? executable("chromium-browser")
    }()

    static var python: String? { executable("python3") }

    /// Go's embedding (templTrace) with a synchronous import (no progress dialog and its timers, so the page is
    /// done when the import is) and the model's counts written into <pre id="traceware-result">.
    static let page = """
        <html>
        <head>
        <script src="/static/webcomponents.min.js"></script>
        <link rel="import" href="/static/trace_viewer_full.html">
        <style>html, body { margin: 0; padding: 0; width: 100%; height: 100%; overflow: hidden; }
        #trace-viewer { width: 100%; height: 100%; }</style>
        <script>
        'use strict';
        (function() {
          var viewer, model;
          function report(obj) {
            var pre = document.createElement('pre');
            pre.id = 'traceware-result';
            pre.textContent = JSON.stringify(obj);
            document.body.appendChild(pre);
          }
          function onFail(err) { report({loaded: false, error: String(err && err.message || err)}); }
          document.addEventListener('WebComponentsReady', function() {
            var container = document.createElement('track-view-container');
            container.id = 'track_view_container';
            viewer = document.createElement('tr-ui-timeline-view');
            viewer.track_view_container = container;
            Polymer.dom(viewer).appendChild(container);
            viewer.id = 'trace-viewer';
            viewer.globalMode = true;
            Polymer.dom(document.body).appendChild(viewer);
            var req = new XMLHttpRequest();
            req.overrideMimeType('text/plain; charset=x-user-defined');
            req.open('GET', '/' + (window.location.search.substr(1) || 'trace.json'), true);
            req.onreadystatechange = function() {
              if (req.readyState !== 4) return;
              if (req.status !== 200) return onFail('HTTP ' + req.status);
              model = new tr.Model();
              var opts = new tr.importer.ImportOptions();
              opts.shiftWorldToZero = false;
              try {
                new tr.importer.Import(model, opts).importTraces([req.responseText]);
              } catch (err) { return onFail(err); }
              viewer.model = model;
              viewer.viewTitle = 'trace';
              var tracks = {};
              model.getAllThreads().forEach(function(t) {
                tracks[t.parent.pid + '/' + t.tid] = {slices: t.sliceGroup.slices.length, async: t.asyncSliceGroup.slices.length};
              });
              report({loaded: true, tracks: tracks, flows: model.flowEvents.length,
                      warnings: model.importWarnings.map(function(w) { return w.message; })});
            };
            req.send(null);
          });
        }());
        </script>
        </head>
        <body></body>
        </html>
        """

    /// Serves a directory on 127.0.0.1 (an ephemeral port) and drives headless Chromium over
    /// --remote-debugging-pipe (the DevTools protocol: JSON messages ended by NUL, on fds 3 and 4), so the test
    /// waits for the page itself rather than for a fixed time: per page, a fresh tab, poll until the page's
    /// result element exists (up to 60 s), screenshot, close. Prints {page: result}.
    static let driver = #"""
        # Serves a directory on loopback and drives headless Chromium over --remote-debugging-pipe (CDP, JSON messages
        # ended by NUL on fds 3 and 4): for each page, navigate, wait for the page's result element, print its text,
        # save a screenshot. Usage: drive.py CHROMIUM DIR PAGE:SHOT.png...
        import base64, functools, http.server, json, os, subprocess, sys, threading, time
        
        chromium, root, jobs = sys.argv[1], sys.argv[2], sys.argv[3:]
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
        handler.log_message = lambda *a: None
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
        
        to_r, to_w = os.pipe()      # we write, chromium reads fd 3
        from_r, from_w = os.pipe()  # chromium writes fd 4, we read
        def child():
            os.dup2(to_r, 3); os.dup2(from_w, 4)
        proc = subprocess.Popen([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
                                 "--remote-debugging-pipe", "--window-size=1280,720", "about:blank"],
                                pass_fds=(3, 4), preexec_fn=child, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # (pass_fds keeps 3 and 4 open in the child; preexec_fn puts our pipe ends there first.)
        os.close(to_r); os.close(from_w)
        out = os.fdopen(to_w, "wb", buffering=0)
        inp = os.fdopen(from_r, "rb", buffering=0)
        buf = b""
        next_id = 0
        def call(method, params=None, session=None):
            global buf, next_id
            next_id += 1
            msg = {"id": next_id, "method": method, "params": params or {}}
            if session: msg["sessionId"] = session
            out.write(json.dumps(msg).encode() + b"\0")
            while True:
                while b"\0" not in buf:
                    chunk = inp.read(1 << 16)
                    if not chunk: raise SystemExit("chromium closed the pipe")
                    buf += chunk
                raw, buf = buf.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == next_id:
                    if "error" in reply: raise SystemExit("%s: %s" % (method, reply["error"]))
                    return reply["result"]
        
        try:
            results = {}
            for job in jobs:
                page, shot = job.split(":")
                # A fresh page each time: no result element of the page before.
                target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
                session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
                call("Page.navigate", {"url": "http://127.0.0.1:%d/%s" % (port, page)}, session=session)
                deadline = time.time() + 60
                text = None
                while time.time() < deadline:
                    r = call("Runtime.evaluate", {"expression": "(function(){var e=document.getElementById('traceware-result');return e?e.textContent:null})()",
                                                  "returnByValue": True}, session=session)
                    text = r.get("result", {}).get("value")
                    if text: break
                    time.sleep(0.2)
                if not text: raise SystemExit("%s: no result after 60 s" % page)
                time.sleep(0.5)  # let the viewer paint its tracks
                png = call("Page.captureScreenshot", {"format": "png"}, session=session)["data"]
                with open(shot, "wb") as f: f.write(base64.b64decode(png))
                results[page] = json.loads(text)
                call("Target.closeTarget", {"targetId": target})
            print(json.dumps(results))
        finally:
            proc.kill()
            server.shutdown()
        """#

    static func executable(_ name: String) -> String? {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        return dirs.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

@Suite struct TimelineBrowserTests {
    @Test(.enabled(if: (BrowserSupport.chromium != nil && BrowserSupport.python != nil && goIsAvailable) || isCI))
    func catapultRendersOurTimeline() throws {
        let chromium = try #require(BrowserSupport.chromium, "chromium is not installed (apt-get install chromium; or set TRACEWARE_CHROMIUM)")
        let python = try #require(BrowserSupport.python, "python3 is missing (it serves the page on loopback)")
        let (status, goroot, err) = try TestProcess.run(goBinary, ["env", "GOROOT"], environment: ["GOTOOLCHAIN": "local"])
        try #require(status == 0, "go env GOROOT: \(err)")
        let viewer = goroot.trimmingCharacters(in: .whitespacesAndNewlines) + "/src/internal/trace/traceviewer/static"
        try #require(FileManager.default.fileExists(atPath: viewer + "/trace_viewer_full.html"), "\(viewer) has no trace_viewer_full.html")

        // The annotation fixture has every kind of track: goroutine states, logs, regions, tasks, procs, wake-ups.
        let trace = ReportCoreSupport.fixture("1.27", "annotation")
        let dir = try TemporaryDirectory()
        let runID = try TraceIngest.ingest(
            path: trace, into: try WarehouseStore.openForWriting(dir.path("w.db")), source: TraceReaderAdapter.source).runID
        let json = try TimelineExport.json(run: runID, selection: .init(), on: try WarehouseStore.openForReading(dir.path("w.db")))
        let site = dir.path("site")
        try FileManager.default.createDirectory(atPath: site, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: site + "/static", withDestinationPath: viewer)
        try BrowserSupport.page.write(toFile: site + "/index.html", atomically: true, encoding: .utf8)
        try Data(json).write(to: URL(fileURLWithPath: site + "/trace.json"))
        try Data("{\"traceEvents\":[]}".utf8).write(to: URL(fileURLWithPath: site + "/empty.json"))
        try BrowserSupport.driver.write(toFile: dir.path("drive.py"), atomically: true, encoding: .utf8)
        let (driverStatus, out, driverErr) = try TestProcess.run(
            "/usr/bin/timeout", ["150", python, dir.path("drive.py"), chromium, site,
                                 "index.html:" + dir.path("ours.png"), "index.html?empty.json:" + dir.path("empty.png")])
        try #require(driverStatus == 0, "the browser driver: status \(driverStatus): \(driverErr.suffix(2000))")
        let pages = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: [String: Any]], "\(out)")
        let result = try #require(pages["index.html"], "\(out)")
        #expect(pages["index.html?empty.json"]?["loaded"] as? Bool == true, "\(out)")

        // What the viewer's model holds, against what the JSON says: per track, complete slices and thread
        // instants (logs) are its slices, async begin/end pairs its async slices, s/f pairs its flow events.
        #expect(result["loaded"] as? Bool == true, "\(result)")
        #expect((result["warnings"] as? [String])?.isEmpty == true, "import warnings: \(result["warnings"] ?? "")")
        let model = (result["tracks"] as? [String: [String: Int]]) ?? [:]
        let events = try TimelineSupport.events(json)
        var slices: [String: Int] = [:], async: [String: Int] = [:]
        for e in events {
            let track = "\(e.pid)/\(e.tid)"
            if e.ph == "X" || e.ph == "i" { slices[track, default: 0] += 1 }
            if e.ph == "b" { async[track, default: 0] += 1 }
        }
        #expect(slices.count >= 10 && async.values.reduce(0, +) > 0 && slices["4/23"] != nil, "tracks \(slices), async \(async)")
        for track in Set(slices.keys).union(async.keys).union(model.keys).sorted() {
            #expect(model[track]?["slices"] ?? 0 == slices[track] ?? 0, "track \(track): viewer \(model[track] ?? [:]), JSON \(slices[track] ?? 0) slices")
            #expect(model[track]?["async"] ?? 0 == async[track] ?? 0, "track \(track): viewer \(model[track] ?? [:]), JSON \(async[track] ?? 0) async slices")
        }
        let flows = events.filter { $0.ph == "s" }.count
        #expect(flows > 0 && result["flows"] as? Int == flows, "viewer \(result["flows"] ?? "none") flows, JSON \(flows)")

        // The screenshot: the rendered slices make it larger than that of the same viewer with no events
        // (measured: 104 KB against 38 KB at 1280x720).
        let ours = (try FileManager.default.attributesOfItem(atPath: dir.path("ours.png"))[.size] as? Int) ?? 0
        let empty = (try FileManager.default.attributesOfItem(atPath: dir.path("empty.png"))[.size] as? Int) ?? 0
        #expect(empty > 0 && ours > empty * 3 / 2, "screenshot \(ours) bytes, of the empty viewer \(empty) bytes")
    }
}
