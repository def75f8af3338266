import Foundation

/// The page around the data: one HTML document with its style and plain-JavaScript script inline.
enum ExplorerHTML {
    static func page(data: ExplorerData, info: String) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        // A NaN or infinite value (a classifier's scores after an overflow) as a string that Number() reads back.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let pageJSON = String(decoding: try encoder.encode(data), as: UTF8.self)
        let title = ExplorerEncoding.html("featmap explore: \(data.title)")
        var out = ""
        out.reserveCapacity(pageJSON.utf8.count + info.utf8.count + 64_000)
        out += "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<meta name=\"generator\" content=\"featmap \(FeatMapVersion.string)\">\n"
        out += "<title>\(title)</title>\n<style>\n\(style)</style>\n</head>\n<body>\n"
        out += body
        out += "<script type=\"application/json\" id=\"featmap-model\">\(ExplorerEncoding.scriptSafe(info))</script>\n"
        out += "<script type=\"application/json\" id=\"featmap-page\">\(ExplorerEncoding.scriptSafe(pageJSON))</script>\n"
        out += "<script>\n\(script)</script>\n</body>\n</html>\n"
        return out
    }

    static let body = """
    <div id="featmap-errors" class="errors" hidden></div>
    <div id="link-message" class="message" hidden></div>
    <header><h1 id="title">featmap explore</h1><p id="subtitle"></p></header>
    <div id="app">
    <aside id="layers-panel"><h2>Layers <small>(graph order)</small></h2><div id="layer-list"></div></aside>
    <main>
    <section id="inputs-section">
    <figure id="original-figure"><figcaption>original</figcaption><div id="original"></div></figure>
    <figure id="seen-figure"><figcaption id="seen-caption">as the network saw it</figcaption><canvas id="input-canvas" width="1" height="1"></canvas></figure>
    <figure id="field-figure"><figcaption id="field-caption" hidden>the field, enlarged</figcaption><canvas id="field-canvas" width="1" height="1" hidden></canvas></figure>
    <div id="unit-panel">
    <h3>Selected unit</h3>
    <div id="selected-unit">none: click a cell of any map</div>
    <div>receptive field: <span id="rf-readout">—</span></div>
    <div id="rf-detail"></div>
    <div id="erf-note"></div>
    <div id="windows"></div>
    </div>
    </section>
    <section id="layer-section">
    <h2 id="layer-title"></h2>
    <div id="kernel-view"></div>
    <p id="maps-caption"></p>
    <div id="value-readout">move the pointer over a map</div>
    <div id="maps"></div>
    <div id="pooling-view"></div>
    <div id="layer-details">
    <table id="layer-facts"></table>
    <div id="weight-sharing"></div>
    </div>
    <div id="filters-view"></div>
    </section>
    <section id="top-section" hidden><h2>Top 5 classes</h2><ol id="top5"></ol></section>
    <section id="notes-section"><ul id="notes"></ul></section>
    </main>
    </div>

    """

    static let style = """
    body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
    header { padding: 8px 16px; background: #234; color: #fff; }
    header h1 { font-size: 18px; margin: 0; } header p { margin: 2px 0 0; opacity: .8; }
    #app { display: flex; align-items: flex-start; }
    #layers-panel { width: 330px; flex: none; max-height: calc(100vh - 60px); overflow: auto; position: sticky; top: 0;
      background: #fff; border-right: 1px solid #ddd; }
    #layers-panel h2 { font-size: 15px; margin: 8px; }
    #layer-list { position: relative; }
    #layer-list svg { position: absolute; left: 0; top: 0; pointer-events: none; }
    .layer-row { height: 34px; box-sizing: border-box; padding: 2px 6px; cursor: pointer; border-bottom: 1px solid #f0f0f0;
      white-space: nowrap; overflow: hidden; text-overflow: ellipsis; font-size: 12px; }
    .layer-row:hover { background: #eef4ff; } .layer-row.selected { background: #d8e6ff; }
    .layer-row.window { outline: 2px solid #e80; outline-offset: -2px; }
    .layer-row .name { font-weight: 600; } .layer-row .op { color: #555; } .layer-row .facts { color: #777; font-size: 11px; }
    main { flex: 1; padding: 8px 16px; min-width: 0; }
    section { margin-bottom: 16px; }
    #inputs-section { display: flex; gap: 16px; flex-wrap: wrap; align-items: flex-start; }
    figure { margin: 0; } figcaption { font-size: 12px; color: #555; }
    #original img { max-width: 360px; max-height: 360px; image-rendering: auto; display: block; }
    #input-canvas, #field-canvas { image-rendering: pixelated; border: 1px solid #ccc; display: block; }
    #unit-panel { min-width: 260px; max-width: 520px; } #unit-panel h3 { margin: 0 0 4px; font-size: 14px; }
    #rf-readout { font-weight: 600; font-family: ui-monospace, monospace; }
    #windows { font-size: 12px; color: #444; } #windows .w { cursor: pointer; } #windows .w:hover { text-decoration: underline; }
    #layer-title { font-size: 16px; margin: 0 0 4px; }
    #layer-details { display: flex; gap: 24px; flex-wrap: wrap; align-items: flex-start; margin: 8px 0; }
    #layer-facts td { padding: 0 10px 0 0; font-size: 12px; } #layer-facts td:first-child { color: #666; }
    #maps { display: flex; flex-wrap: wrap; gap: 3px; background: #303030; padding: 3px; }
    .cell { position: relative; background: #303030; }
    .cell .label { color: #fff; font-size: 9px; line-height: 10px; height: 10px; }
    .cell canvas { display: block; image-rendering: pixelated; cursor: crosshair; }
    .cell .box { position: absolute; border: 1px solid #ff0; pointer-events: none; box-sizing: border-box; }
    .cell .box.window { border-color: #f80; }
    #value-readout { font-family: ui-monospace, monospace; font-size: 12px; margin: 4px 0; min-height: 16px; }
    #maps-caption { font-size: 12px; color: #555; margin: 4px 0; }
    #filters-view img { image-rendering: pixelated; display: block; }
    #filter-readout, #pool-readout { font-family: ui-monospace, monospace; font-size: 11px; white-space: pre; }
    #pooling-view canvas { image-rendering: pixelated; border: 1px solid #ccc; }
    .errors { background: #fdd; color: #900; padding: 6px 16px; font-family: ui-monospace, monospace; }
    .message { background: #ffd; color: #630; padding: 6px 16px; font-weight: 600; }
    .note { color: #765; font-size: 12px; }
    table.sharing td { padding: 0 12px 0 0; font-size: 12px; text-align: right; } table.sharing td:first-child { text-align: left; }

    """

    static let script = #"""
    "use strict";
    (function () {
    var errorsBox = document.getElementById("featmap-errors");
    function reportError(message) {
      var d = document.createElement("div");
      d.className = "error";
      d.textContent = "script error: " + message;
      errorsBox.appendChild(d);
      errorsBox.hidden = false;
    }
    window.addEventListener("error", function (e) { reportError(e.message + (e.lineno ? " (line " + e.lineno + ")" : "")); });
    window.addEventListener("unhandledrejection", function (e) { reportError(String(e.reason)); });

    var model, page, colormaps = {}, state = { layer: -1, unit: null, windows: {} };
    var $ = function (id) { return document.getElementById(id); };

    function bytes(b64) {
      var s = atob(b64), a = new Uint8Array(s.length);
      for (var i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
      return a;
    }
    function el(tag, attrs, text) {
      var e = document.createElement(tag);
      if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);
      if (text !== undefined) e.textContent = text;
      return e;
    }
    function shape(s) { return s.join("×"); }
    function pair(p) { return p[0] === p[1] ? String(p[0]) : p[0] + "," + p[1]; }
    function grouped(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
    function num(v) { return isNaN(v) ? "NaN" : (Math.abs(v) >= 1e-3 || v === 0 ? Number(v.toPrecision(4)).toString() : v.toExponential(3)); }

    /// The values of a layer's maps, decoded once: v = lo + q·(hi − lo)/65534, 65535 = NaN.
    function values(layer) {
      if (layer._values) return layer._values;
      var m = layer.maps, plane = m.height * m.width;
      if (m.reluOf !== undefined && m.reluOf !== null) {
        var source = values(page.layers[m.reluOf]), relu = new Float32Array(source.length);
        for (var j = 0; j < source.length; j++) { var s = source[j]; relu[j] = s > 0 ? s : (isNaN(s) ? NaN : 0); }
        layer._values = relu;
        return relu;
      }
      if (m.parts) {
        var joined = new Float32Array(m.channels * plane), at = 0;
        m.parts.forEach(function (p) { var part = values(page.layers[p]); joined.set(part, at); at += part.length; });
        layer._values = joined;
        return joined;
      }
      var raw = bytes(m.data);
      var out = new Float32Array(m.channels * plane);
      for (var c = 0; c < m.channels; c++) {
        var lo = m.lo[c], step = (m.hi[c] - lo) / 65534;
        for (var i = 0; i < plane; i++) {
          var o = c * plane + i, q = raw[2 * o] | (raw[2 * o + 1] << 8);
          out[o] = q === 65535 ? NaN : lo + q * step;
        }
      }
      layer._values = out;
      return out;
    }

    /// Colormap entry as matplotlib picks it: t = (v − low)/(high − low), entry min(255, ⌊256 t⌋).
    function colorIndex(v, low, high) {
      var span = high - low, t = span > 0 && isFinite(span) ? (v - low) / span : 0.5;
      if (!(t > 0)) return 0;
      return t >= 1 ? 255 : Math.min(255, Math.floor(t * 256));
    }

    /// The receptive field of unit (y, x) of channel c: [size y, size x, jump y, jump x, pad y, pad x] or null.
    function fieldOf(layer, c) {
      if (!layer.fields || layer.fields.length === 0) return null;
      var k = layer.channelField ? layer.channelField[c] : 0;
      return k >= 0 ? layer.fields[k] : null;
    }
    /// Unit u sees input rows u·jump − pad … u·jump − pad + size − 1 (Araujo et al. 2019), as featmap rf prints.
    function span(f, y, x) {
      var top = y * f[2] - f[4], left = x * f[3] - f[5];
      return { r0: top, r1: top + f[0] - 1, c0: left, c1: left + f[1] - 1 };
    }

    function main() {
      model = JSON.parse($("featmap-model").textContent);
      page = JSON.parse($("featmap-page").textContent);
      for (var name in page.colormaps) colormaps[name] = bytes(page.colormaps[name]);
      $("title").textContent = "featmap explore: " + page.title;
      $("subtitle").textContent = page.model + " · " + page.input + " · input " + shape(page.inputShape);
      drawOriginal();
      buildLayerList();
      drawTop();
      var notes = $("notes");
      (page.notes || []).forEach(function (n) { notes.appendChild(el("li", { "class": "note" }, n)); });
      window.addEventListener("hashchange", function () { openLink(); });
      if (!openLink()) selectLayer(firstMapsLayer());
      runTest();
      // How long after navigation the page became interactive (for the size and speed check).
      document.body.setAttribute("data-ready-ms", String(Math.round(performance.now())));
    }

    function firstMapsLayer() {
      for (var i = 0; i < page.layers.length; i++) if (page.layers[i].maps) return i;
      return 0;
    }

    function drawOriginal() {
      var box = $("original");
      if (page.original) { var img = el("img", { src: page.original, alt: "original input", id: "original-image" });
        img.onload = function () { if (img.naturalWidth < 180) { var k = Math.floor(180 / img.naturalWidth); img.style.width = img.naturalWidth * k + "px"; img.style.imageRendering = "pixelated"; } };
        box.appendChild(img); }
      else box.appendChild(el("p", { "class": "note" }, page.originalNote || "no original picture"));
      $("seen-caption").textContent = "as the network saw it: " + shape(page.inputShape) + (page.seenNote ? " (" + page.seenNote + ")" : "");
      if (page.seen) {
        var img2 = new Image();
        img2.onload = function () { state.seenImage = img2; drawInput(); };
        img2.src = page.seen;
      }
    }

    /// Layer rows with an SVG of lanes: a layer fed by something other than the row above it, or
    /// feeding more than one layer, shows its edges, so that branches and joins are visible.
    function buildLayerList() {
      var list = $("layer-list"), rowH = 34, layers = page.layers;
      var lanes = [], laneEnd = [], consumers = layers.map(function () { return []; });
      layers.forEach(function (l, i) { l.inputs.forEach(function (p) { if (p >= 0) consumers[p].push(i); }); });
      // Lanes: a layer takes its first producer's lane when it is that producer's first consumer, else a free lane.
      layers.forEach(function (l, i) {
        var lane = -1, p = l.inputs.length ? l.inputs[0] : -1;
        if (p >= 0 && consumers[p][0] === i) lane = lanes[p];
        if (p < 0 && i === 0) lane = 0;
        if (lane < 0) { lane = 0; while (laneEnd[lane] !== undefined && laneEnd[lane] > i) lane++; }
        lanes[i] = lane;
        var last = consumers[i].length ? Math.max.apply(null, consumers[i]) : i;
        laneEnd[lane] = Math.max(laneEnd[lane] || 0, last);
        l.inputs.forEach(function (q) { if (q >= 0 && lanes[q] !== lane) laneEnd[lanes[q]] = Math.max(laneEnd[lanes[q]] || 0, i); });
      });
      var laneCount = Math.max.apply(null, lanes.concat([0])) + 1, gutter = 10 + 12 * laneCount;
      var svgNS = "http://www.w3.org/2000/svg";
      var svg = document.createElementNS(svgNS, "svg");
      svg.setAttribute("width", gutter); svg.setAttribute("height", rowH * layers.length);
      function X(lane) { return 8 + lane * 12; }
      layers.forEach(function (l, i) {
        l.inputs.forEach(function (p) {
          if (p < 0) return;
          var path = document.createElementNS(svgNS, "path");
          var x0 = X(lanes[p]), y0 = p * rowH + rowH / 2, x1 = X(lanes[i]), y1 = i * rowH + rowH / 2;
          path.setAttribute("d", x0 === x1 ? "M" + x0 + " " + y0 + " L" + x1 + " " + y1
            : "M" + x0 + " " + y0 + " C" + x1 + " " + (y0 + rowH * 0.8) + " " + x1 + " " + (y1 - rowH * 0.8) + " " + x1 + " " + y1);
          path.setAttribute("stroke", "#89a"); path.setAttribute("fill", "none"); path.setAttribute("stroke-width", "1.5");
          svg.appendChild(path);
        });
      });
      layers.forEach(function (l, i) {
        var dot = document.createElementNS(svgNS, "circle");
        dot.setAttribute("cx", X(lanes[i])); dot.setAttribute("cy", i * rowH + rowH / 2); dot.setAttribute("r", l.inputs.length > 1 ? 4.5 : 3.5);
        dot.setAttribute("fill", l.maps ? "#2a6" : "#999");
        svg.appendChild(dot);
      });
      list.appendChild(svg);
      layers.forEach(function (l, i) {
        var info = model.layers[i] || {};
        var row = el("div", { "class": "layer-row", "data-layer": l.name, id: "layer-row-" + i });
        row.style.paddingLeft = gutter + "px";
        row.appendChild(el("span", { "class": "name" }, l.name));
        row.appendChild(document.createTextNode(" "));
        row.appendChild(el("span", { "class": "op" }, l.op + " → " + shape(info.output_shape || l.outputShape)));
        var facts = "params " + grouped(info.params || 0);
        if (Array.isArray(info.receptive_field)) facts += " · RF " + pair(info.receptive_field) + " · jump " + pair(info.effective_stride) + " · eff.pad " + pair(info.effective_padding);
        else if (typeof info.receptive_field === "string") facts += " · RF " + info.receptive_field;
        var inputs = l.inputs.map(function (p) { return p < 0 ? "input" : page.layers[p].name; });
        if (l.inputs.length > 1 || (l.inputs.length === 1 && l.inputs[0] !== i - 1)) facts += " · from " + inputs.join(", ");
        row.appendChild(el("div", { "class": "facts" }, facts));
        row.addEventListener("click", function () { selectLayer(i); });
        list.appendChild(row);
      });
    }

    function drawTop() {
      if (!page.top || page.top.length === 0) return;
      $("top-section").hidden = false;
      var ol = $("top5");
      page.top.forEach(function (t) { ol.appendChild(el("li", null, (Number(t.probability) * 100).toFixed(2) + "%  " + t.label + " (" + t.index + ")")); });
    }

    function selectLayer(i) {
      if (i === state.layer) return;
      state.layer = i;
      document.querySelectorAll(".layer-row.selected").forEach(function (r) { r.classList.remove("selected"); });
      var row = $("layer-row-" + i);
      if (row) row.classList.add("selected");
      var l = page.layers[i], info = model.layers[i] || {};
      $("layer-title").textContent = l.name + " · " + l.op;
      var facts = $("layer-facts");
      facts.textContent = "";
      function fact(k, v) { if (v === undefined || v === null) return; var tr = el("tr"); tr.appendChild(el("td", null, k)); tr.appendChild(el("td", null, v)); facts.appendChild(tr); }
      fact("output shape", shape(info.output_shape || l.outputShape));
      fact("parameters", grouped(info.params || 0));
      fact("multiply-accumulates", grouped(info.macs || 0));
      if (info.kernel) fact("kernel", info.kernel.join("×"));
      if (info.stride) fact("stride", pair(info.stride));
      if (info.padding) fact("padding (t,l,b,r)", info.padding.join(","));
      if (info.dilation) fact("dilation", pair(info.dilation));
      if (info.groups) fact("groups", String(info.groups));
      if (Array.isArray(info.receptive_field)) {
        fact("receptive field", pair(info.receptive_field) + " px");
        fact("jump (effective stride)", pair(info.effective_stride));
        fact("effective padding", pair(info.effective_padding));
        if (l.channelField) fact("per channel", l.fields.length + " fields (each channel keeps its branch's)");
      } else fact("receptive field", info.receptive_field === null ? "— (no spatial layout)" : info.receptive_field + (info.receptive_field_note ? ": " + info.receptive_field_note : ""));
      fact("inputs", l.inputs.map(function (p) { return p < 0 ? "network input" : page.layers[p].name; }).join(", "));
      drawSharing(l);
      drawKernel();
      drawFilters(l);
      drawMaps(l);
      drawPooling();
    }

    function drawSharing(l) {
      var box = $("weight-sharing");
      box.textContent = "";
      if (!l.weightSharing) return;
      var s = l.weightSharing;
      box.appendChild(el("div", null, "weight sharing: the convolution's parameters against layers with the same windows but no sharing"));
      var t = el("table", { "class": "sharing" });
      [["convolution", s[0]], ["locally connected (own kernel per position)", s[1]], ["fully connected (same input and output sizes)", s[2]]].forEach(function (r) {
        var tr = el("tr"); tr.appendChild(el("td", null, r[0])); tr.appendChild(el("td", null, grouped(r[1])));
        tr.appendChild(el("td", null, r[1] === s[0] ? "" : "×" + (r[1] / Math.max(1, s[0])).toPrecision(3)));
        t.appendChild(tr);
      });
      box.appendChild(t);
    }

    function drawKernel() {
      var box = $("kernel-view");
      box.textContent = "";
      if (page.kind !== "kernel" || !page.kernel) return;
      var k = page.kernel;
      box.appendChild(el("div", null, "kernel " + k.name + " (as a one-filter convolution over the grey image, 0…255, same padding)"));
      k.kernels.forEach(function (vals, i) {
        var rows = [], h = k.sizes[i][0], w = k.sizes[i][1];
        for (var y = 0; y < h; y++) rows.push(vals.slice(y * w, (y + 1) * w).map(function (v) { return num(v).padStart(7); }).join(" "));
        box.appendChild(el("pre", { "class": "kernel" }, rows.join("\n")));
        box.appendChild(el("div", { "class": "note" }, k.statistics[i]));
      });
      // The selected unit's window: the grey pixels under the kernel (0 in the padding), their products, the sum.
      var u = state.unit, li = state.layer;
      if (!u || u.layer !== li || !k.input || li >= k.kernels.length) return;
      var vals = k.kernels[li], kh = k.sizes[li][0], kw = k.sizes[li][1], f = fieldOf(page.layers[li], 0);
      if (!f) return;
      var sp = span(f, u.y, u.x), H = page.inputShape[1], W = page.inputShape[2];
      var input = k._values || (k._values = values({ maps: k.input })), sum = 0, lines = [];
      for (var y = 0; y < kh; y++) {
        var row = [];
        for (var x = 0; x < kw; x++) {
          var iy = sp.r0 + y, ix = sp.c0 + x, p = iy >= 0 && iy < H && ix >= 0 && ix < W ? input[iy * W + ix] : 0;
          sum += p * vals[y * kw + x];
          row.push((num(p) + "×" + num(vals[y * kw + x])).padStart(14));
        }
        lines.push(row.join(" "));
      }
      var l = page.layers[li], response = l.maps ? values(l)[u.y * l.maps.width + u.x] : NaN;
      box.appendChild(el("div", null, "the kernel on the window of unit (" + u.y + "," + u.x + "): pixel × weight"));
      box.appendChild(el("pre", { id: "kernel-window" }, lines.join("\n") + "\nsum " + num(sum) + " + offset " + num(k.offsets[li])
        + " = " + num(sum + k.offsets[li]) + "   (the map: " + num(response) + ")"));
    }

    function drawFilters(l) {
      var box = $("filters-view");
      box.textContent = "";
      if (!l.filters) return;
      var f = l.filters;
      box.appendChild(el("div", null, "learned filters " + shape(f.shape) + " (as featmap filters draws them); hover a filter for its weights"));
      var img = el("img", { src: f.image, alt: "filters of " + l.name, width: f.width, height: f.height, id: "filters-image" });
      box.appendChild(img);
      var readout = el("div", { id: "filter-readout" }, f.note || "");
      box.appendChild(readout);
      if (!f.weights) return;
      var w = new Float32Array(bytes(f.weights).buffer);
      img.addEventListener("mousemove", function (e) {
        var r = img.getBoundingClientRect();
        var px = (e.clientX - r.left) * f.width / r.width, py = (e.clientY - r.top) * f.height / r.height;
        for (var o = 0; o < f.cells.length; o++) for (var c = 0; c < f.cells[o].length; c++) {
          var cell = f.cells[o][c];
          if (px >= cell[0] && px < cell[0] + cell[2] && py >= cell[1] && py < cell[1] + cell[3]) {
            var inC = f.shape[1], kh = f.shape[2], kw = f.shape[3];
            var channels = f.cells[o].length === 1 && inC === 3 ? [0, 1, 2] : [c];
            var text = "filter " + o + (channels.length === 1 ? ", input channel " + c : " (R, G, B)") + ":\n";
            channels.forEach(function (ch) {
              if (channels.length > 1) text += "c" + ch + "\n";
              for (var y = 0; y < kh; y++) {
                var line = [];
                for (var x = 0; x < kw; x++) line.push(num(w[((o * inC + ch) * kh + y) * kw + x]).padStart(9));
                text += line.join(" ") + "\n";
              }
            });
            readout.textContent = text;
            return;
          }
        }
      });
    }

    function drawMaps(l) {
      var box = $("maps");
      box.textContent = "";
      $("value-readout").textContent = "move the pointer over a map";
      if (!l.maps) {
        $("maps-caption").textContent = l.mapsNote || "this layer has no feature maps (" + shape(l.outputShape) + ")";
        box.hidden = true;
        return;
      }
      box.hidden = false;
      var m = l.maps, v = values(l), lut = colormaps[m.colormap], plane = m.width * m.height;
      $("maps-caption").textContent = m.channels + " maps of " + m.height + "×" + m.width + ", each value shown as " + m.scale + "×" + m.scale + " px; " + m.caption;
      for (var c = 0; c < m.channels; c++) {
        var cell = el("div", { "class": "cell", "data-channel": c });
        cell.appendChild(el("div", { "class": "label" }, String(c)));
        var canvas = el("canvas", { width: m.width, height: m.height, "data-channel": c, "data-scale": m.scale, id: "map-" + c });
        canvas.style.width = m.width * m.scale + "px";
        canvas.style.height = m.height * m.scale + "px";
        var ctx = canvas.getContext("2d"), img = ctx.createImageData(m.width, m.height);
        var lo = m.ranges[c][0], hi = m.ranges[c][1];
        for (var i = 0; i < plane; i++) {
          var x = v[c * plane + i], o = 4 * i;
          if (isNaN(x)) { img.data[o] = 255; img.data[o + 1] = 0; img.data[o + 2] = 255; }
          else { var k = 3 * colorIndex(x, lo, hi); img.data[o] = lut[k]; img.data[o + 1] = lut[k + 1]; img.data[o + 2] = lut[k + 2]; }
          img.data[o + 3] = 255;
        }
        ctx.putImageData(img, 0, 0);
        (function (c, canvas) {
          function unitAt(e) {
            var r = canvas.getBoundingClientRect();
            var x = Math.floor((e.clientX - r.left) * m.width / r.width), y = Math.floor((e.clientY - r.top) * m.height / r.height);
            return [Math.min(m.height - 1, Math.max(0, y)), Math.min(m.width - 1, Math.max(0, x))];
          }
          canvas.addEventListener("mousemove", function (e) {
            var u = unitAt(e);
            $("value-readout").textContent = l.name + " c" + c + " (" + u[0] + "," + u[1] + ") = " + num(v[(c * m.height + u[0]) * m.width + u[1]]);
          });
          canvas.addEventListener("click", function (e) { var u = unitAt(e); selectUnit(state.layer, c, u[0], u[1], true); });
        })(c, canvas);
        cell.appendChild(canvas);
        box.appendChild(cell);
      }
      drawMapBoxes();
    }

    /// Frames on the maps: the selected unit, and on the layers between, the window of units inside its field.
    function drawMapBoxes() {
      document.querySelectorAll(".cell .box").forEach(function (b) { b.remove(); });
      var l = page.layers[state.layer];
      if (!l || !l.maps) return;
      var s = l.maps.scale, u = state.unit;
      function frame(c, y0, y1, x0, x1, cls) {
        var cell = document.querySelector('.cell[data-channel="' + c + '"]');
        if (!cell) return;
        var b = el("div", { "class": "box " + cls });
        b.style.left = x0 * s + "px"; b.style.top = 10 + y0 * s + "px";
        b.style.width = (x1 - x0 + 1) * s + "px"; b.style.height = (y1 - y0 + 1) * s + "px";
        cell.appendChild(b);
      }
      if (u && u.layer === state.layer) frame(u.c, u.y, u.y, u.x, u.x, "unit");
      var w = state.windows[state.layer];
      if (w && !(u && u.layer === state.layer)) for (var c = 0; c < l.maps.channels; c++) frame(c, w[0], w[1], w[2], w[3], "window");
    }

    function selectUnit(li, c, y, x, fromClick) {
      var l = page.layers[li];
      state.unit = { layer: li, c: c, y: y, x: x };
      if (fromClick) {
        var hash = "#layer=" + encodeURIComponent(l.name) + "&c=" + c + "&y=" + y + "&x=" + x;
        state.ownHash = hash;
        history.replaceState(null, "", hash);
      }
      var v = l.maps ? values(l)[(c * l.maps.height + y) * l.maps.width + x] : NaN;
      $("selected-unit").textContent = l.name + " channel " + c + ", unit " + y + "," + x + (l.maps ? " = " + num(v) : "");
      var f = fieldOf(l, c);
      state.windows = {};
      if (!f) {
        $("rf-readout").textContent = "none";
        $("rf-detail").textContent = l.fieldNote || "channel " + c + " of layer '" + l.name + "' has no single receptive field (branches not aligned)";
        state.span = null;
      } else {
        var sp = span(f, y, x);
        state.span = sp;
        $("rf-readout").textContent = "rows " + sp.r0 + "…" + sp.r1 + ", columns " + sp.c0 + "…" + sp.c1;
        var H = page.inputShape[1], W = page.inputShape[2];
        var inside = Math.max(0, Math.min(H - 1, sp.r1) - Math.max(0, sp.r0) + 1) * Math.max(0, Math.min(W - 1, sp.c1) - Math.max(0, sp.c0) + 1);
        var outside = f[0] * f[1] - inside;
        $("rf-detail").textContent = "field " + f[0] + "×" + f[1] + " px, jump " + pair([f[2], f[3]]) + ", effective padding " + pair([f[4], f[5]])
          + (outside > 0 ? "; " + outside + " px in the padding (hatched)" : "");
        windowsBetween(li, c, sp);
      }
      var erf = null;
      (l.erf || []).forEach(function (e) { if (e.unit[0] === c && e.unit[1] === y && e.unit[2] === x) erf = e; });
      state.erf = erf;
      var note = $("erf-note");
      note.textContent = "";
      if (erf) note.textContent = "heat: effective receptive field |∂unit/∂pixel| (Luo et al. 2016), peak " + num(erf.maximum);
      else if (l.erf && l.erf.length) {
        note.appendChild(document.createTextNode("effective receptive field computed for the strongest units of this layer; e.g. "));
        var strongest = l.erf.filter(function (e) { return e.unit[0] === c; })[0] || l.erf[0];
        var a = el("a", { href: "#layer=" + encodeURIComponent(l.name) + "&c=" + strongest.unit[0] + "&y=" + strongest.unit[1] + "&x=" + strongest.unit[2] },
          "c" + strongest.unit[0] + " (" + strongest.unit[1] + "," + strongest.unit[2] + ")");
        note.appendChild(a);
      } else if (f) note.textContent = page.erfUnits > 0 ? "no effective receptive field for this layer" : "effective receptive fields: write the page with --erf-units 1 (or more)";
      drawInput();
      drawMapBoxes();
      drawPooling();
      drawKernel();
    }

    /// For each layer the selected unit depends on, the units whose fields lie inside its field.
    function windowsBetween(li, c, sp) {
      var box = $("windows");
      box.textContent = "";
      document.querySelectorAll(".layer-row.window").forEach(function (r) { r.classList.remove("window"); });
      var seen = {}, order = [];
      function visit(i, ch) {
        var l = page.layers[i];
        l.inputs.forEach(function (p, k) {
          if (p < 0) return;
          var pc = -1;
          if (l.op === "Concat" && ch >= 0) {
            var start = 0;
            for (var q = 0; q < k; q++) start += l.inputs[q] >= 0 ? page.layers[l.inputs[q]].outputShape[0] : page.inputShape[0];
            var n = page.layers[p].outputShape[0];
            if (ch < start || ch >= start + n) return;
            pc = ch - start;
          }
          if (!seen[p]) { seen[p] = true; order.push([p, pc]); visit(p, pc); }
        });
      }
      visit(li, c);
      order.sort(function (a, b) { return a[0] - b[0]; });
      order.forEach(function (e) {
        var p = page.layers[e[0]], f = fieldOf(p, e[1] >= 0 ? e[1] : 0), sh = p.outputShape;
        if (!f || sh.length !== 3) return;
        var y0 = Math.max(0, Math.ceil((sp.r0 + f[4]) / f[2])), y1 = Math.min(sh[1] - 1, Math.floor((sp.r1 - f[0] + 1 + f[4]) / f[2]));
        var x0 = Math.max(0, Math.ceil((sp.c0 + f[5]) / f[3])), x1 = Math.min(sh[2] - 1, Math.floor((sp.c1 - f[1] + 1 + f[5]) / f[3]));
        if (y0 > y1 || x0 > x1) return;
        state.windows[e[0]] = [y0, y1, x0, x1];
        var row = $("layer-row-" + e[0]);
        if (row) row.classList.add("window");
        var d = el("div", { "class": "w" }, p.name + ": rows " + y0 + "…" + y1 + ", columns " + x0 + "…" + x1);
        d.addEventListener("click", function () { var keep = state.unit; selectLayer(e[0]); state.unit = keep; drawMapBoxes(); });
        box.appendChild(d);
      });
      if (order.length) box.insertBefore(el("div", null, "windows on the layers between (units inside this field):"), box.firstChild);
    }

    var hatch = null;
    function hatchPattern(ctx) {
      if (hatch) return hatch;
      var p = document.createElement("canvas"); p.width = 8; p.height = 8;
      var g = p.getContext("2d");
      g.strokeStyle = "rgba(255,200,0,0.9)"; g.lineWidth = 1.5;
      g.beginPath(); g.moveTo(0, 8); g.lineTo(8, 0); g.moveTo(-2, 2); g.lineTo(2, -2); g.moveTo(6, 10); g.lineTo(10, 6); g.stroke();
      hatch = ctx.createPattern(p, "repeat");
      return hatch;
    }

    /// The input as the network saw it, with the selected unit's field: box, centre cross, the part in the padding hatched,
    /// and the effective receptive field as a heat map inside it when computed; beside it the field alone, enlarged.
    function drawInput() {
      var H = page.inputShape[1], W = page.inputShape[2], sp = state.span;
      var r0 = 0, r1 = H - 1, c0 = 0, c1 = W - 1;
      if (sp) { r0 = Math.min(r0, sp.r0); r1 = Math.max(r1, sp.r1); c0 = Math.min(c0, sp.c0); c1 = Math.max(c1, sp.c1); }
      drawScene($("input-canvas"), r0, r1, c0, c1, 360);
      var zoomed = $("field-canvas");
      zoomed.hidden = !sp;
      $("field-caption").hidden = !sp;
      if (sp) drawScene(zoomed, sp.r0, sp.r1, sp.c0, sp.c1, 180);
    }

    /// Input rows r0…r1 and columns c0…c1 (they may reach past the image) drawn into about `size` pixels.
    function drawScene(canvas, r0, r1, c0, c1, size) {
      var H = page.inputShape[1], W = page.inputShape[2], sp = state.span;
      var eh = r1 - r0 + 1, ew = c1 - c0 + 1, side = Math.max(eh, ew);
      var zoom = side <= size / 2 ? Math.floor(size / side) : size / side;
      canvas.width = Math.max(1, Math.round(ew * zoom)); canvas.height = Math.max(1, Math.round(eh * zoom));
      var ctx = canvas.getContext("2d");
      ctx.imageSmoothingEnabled = false;
      ctx.fillStyle = "#777"; ctx.fillRect(0, 0, canvas.width, canvas.height);
      var ix = (0 - c0) * zoom, iy = (0 - r0) * zoom;
      if (state.seenImage) ctx.drawImage(state.seenImage, ix, iy, W * zoom, H * zoom);
      else { ctx.fillStyle = "#bbb"; ctx.fillRect(ix, iy, W * zoom, H * zoom); }
      if (!sp) return;
      var bx = (sp.c0 - c0) * zoom, by = (sp.r0 - r0) * zoom, bw = (sp.c1 - sp.c0 + 1) * zoom, bh = (sp.r1 - sp.r0 + 1) * zoom;
      if (state.erf) {
        var e = state.erf, heat = bytes(e.data), magma = colormaps.magma;
        var hc = document.createElement("canvas"); hc.width = e.box[3]; hc.height = e.box[2];
        var hx = hc.getContext("2d"), img = hx.createImageData(e.box[3], e.box[2]);
        for (var i = 0; i < heat.length; i++) {
          var k = 3 * heat[i];
          img.data[4 * i] = magma[k]; img.data[4 * i + 1] = magma[k + 1]; img.data[4 * i + 2] = magma[k + 2];
          img.data[4 * i + 3] = Math.round(60 + 0.75 * heat[i]);
        }
        hx.putImageData(img, 0, 0);
        ctx.drawImage(hc, (e.box[1] - c0) * zoom, (e.box[0] - r0) * zoom, e.box[3] * zoom, e.box[2] * zoom);
      }
      // The part of the box outside the image (zero padding), hatched.
      ctx.save();
      ctx.beginPath();
      ctx.rect(bx, by, bw, bh);
      ctx.clip();
      ctx.beginPath();
      ctx.rect(0, 0, canvas.width, canvas.height);
      ctx.rect(ix, iy, W * zoom, H * zoom);
      ctx.fillStyle = hatchPattern(ctx);
      ctx.fill("evenodd");
      ctx.restore();
      ctx.strokeStyle = "#ff0"; ctx.lineWidth = 2;
      ctx.strokeRect(bx + 1, by + 1, Math.max(0, bw - 2), Math.max(0, bh - 2));
      var cx = bx + bw / 2, cy = by + bh / 2, arm = Math.max(4, Math.min(12, bw / 4));
      ctx.strokeStyle = "#f00"; ctx.lineWidth = 2;
      ctx.beginPath(); ctx.moveTo(cx - arm, cy); ctx.lineTo(cx + arm, cy); ctx.moveTo(cx, cy - arm); ctx.lineTo(cx, cy + arm); ctx.stroke();
    }

    /// A pooling layer's selected output cell: its window on the layer's input, and for max pooling the winner.
    function drawPooling() {
      var box = $("pooling-view");
      box.textContent = "";
      var l = page.layers[state.layer];
      if (!l || !l.pooling) return;
      var p = l.pooling;
      box.appendChild(el("div", null, p.kind + " pooling: window " + p.kernel.join("×") + ", stride " + pair(p.stride)
        + ", padding " + p.padding.join(",") + (p.dilation[0] > 1 || p.dilation[1] > 1 ? ", dilation " + pair(p.dilation) : "")));
      var u = state.unit;
      if (!u || u.layer !== state.layer) { box.appendChild(el("div", { "class": "note" }, "click an output cell to see its window on " + (p.source >= 0 ? page.layers[p.source].name : "the input"))); return; }
      var cells = [];
      for (var ky = 0; ky < p.kernel[0]; ky++) for (var kx = 0; kx < p.kernel[1]; kx++) {
        var y = u.y * p.stride[0] - p.padding[0] + ky * p.dilation[0], x = u.x * p.stride[1] - p.padding[1] + kx * p.dilation[1];
        cells.push([y, x, ky * p.kernel[1] + kx]);
      }
      var winner = -1;
      if (p.winners) {
        var oh = l.outputShape[1], ow = l.outputShape[2];
        var wb = p._winners || (p._winners = bytes(p.winners));
        winner = wb[(u.c * oh + u.y) * ow + u.x];
        if (winner === 255) winner = -1;
      }
      var src = p.source >= 0 ? page.layers[p.source] : null;
      var text = "window of " + l.name + " c" + u.c + " (" + u.y + "," + u.x + ") on " + (src ? src.name : "the input") + " channel " + u.c + ":\n";
      var srcValues = src && src.maps ? values(src) : null, sh = p.inputHeight, sw = p.inputWidth;
      cells.forEach(function (cl) {
        var inside = cl[0] >= 0 && cl[0] < sh && cl[1] >= 0 && cl[1] < sw;
        text += "  (" + cl[0] + "," + cl[1] + ") " + (inside ? (srcValues ? num(srcValues[(u.c * sh + cl[0]) * sw + cl[1]]) : "") : "padding")
          + (cl[2] === winner ? "  ← max" : "") + "\n";
      });
      if (src && src.maps) {
        var m = src.maps, scale = Math.max(2, m.scale), canvas = el("canvas", { width: m.width * scale, height: m.height * scale, id: "pool-canvas" });
        var ctx = canvas.getContext("2d"), lut = colormaps[m.colormap], plane = m.width * m.height;
        var img = ctx.createImageData(m.width, m.height), lo = m.ranges[u.c][0], hi = m.ranges[u.c][1];
        for (var i = 0; i < plane; i++) {
          var k = 3 * colorIndex(srcValues[u.c * plane + i], lo, hi);
          img.data[4 * i] = lut[k]; img.data[4 * i + 1] = lut[k + 1]; img.data[4 * i + 2] = lut[k + 2]; img.data[4 * i + 3] = 255;
        }
        var t = document.createElement("canvas"); t.width = m.width; t.height = m.height; t.getContext("2d").putImageData(img, 0, 0);
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(t, 0, 0, m.width * scale, m.height * scale);
        ctx.lineWidth = 1;
        cells.forEach(function (cl) {
          ctx.strokeStyle = cl[2] === winner ? "#f00" : "#ff0";
          ctx.lineWidth = cl[2] === winner ? 2 : 1;
          ctx.strokeRect(cl[1] * scale + 0.5, cl[0] * scale + 0.5, scale - 1, scale - 1);
        });
        box.appendChild(canvas);
      }
      box.appendChild(el("div", { id: "pool-readout" }, text));
    }

    /// #layer=NAME&c=C&y=Y&x=X selects that unit; an unknown layer or a unit outside the map says so on the page.
    function openLink() {
      var hash = location.hash.replace(/^#/, "");
      if (!hash) return false;
      if (state.ownHash === "#" + hash) return true;
      var q = {};
      hash.split("&").forEach(function (part) { var kv = part.split("="); q[decodeURIComponent(kv[0])] = decodeURIComponent(kv.slice(1).join("=")); });
      if (q.layer === undefined) return false;
      var message = $("link-message");
      message.hidden = true;
      var li = -1;
      page.layers.forEach(function (l, i) { if (l.name === q.layer) li = i; });
      if (li < 0) {
        message.textContent = "unknown layer '" + q.layer + "' in the link; this page has: " + page.layers.map(function (l) { return l.name; }).join(", ");
        message.hidden = false;
        return false;
      }
      selectLayer(li);
      var l = page.layers[li];
      if (q.c === undefined && q.y === undefined && q.x === undefined) return true;
      var c = parseInt(q.c || "0", 10), y = parseInt(q.y, 10), x = parseInt(q.x, 10);
      var sh = l.outputShape;
      if (sh.length !== 3 || !(c >= 0 && c < sh[0] && y >= 0 && y < sh[1] && x >= 0 && x < sh[2])) {
        message.textContent = "unit c=" + q.c + " y=" + q.y + " x=" + q.x + " is outside layer '" + l.name + "' (" + shape(sh) + ")";
        message.hidden = false;
        return true;
      }
      selectUnit(li, c, y, x, false);
      return true;
    }

    /// Test harness: #…&test=click:X,Y dispatches a real click at (X, Y) CSS pixels inside the selected channel's map,
    /// test=move:X,Y a pointer move there, test=filter:X,Y a pointer move over the filter picture.
    function runTest() {
      var m = /(?:^#|&)test=(click|move|filter):(\d+),(\d+)/.exec(location.hash);
      if (!m) return;
      var u = state.unit, c = u ? u.c : 0;
      var target = m[1] === "filter" ? $("filters-image") : $("map-" + c);
      if (!target) { reportError("test " + m[1] + ": nothing to point at"); return; }
      var r = target.getBoundingClientRect();
      var x = r.left + parseInt(m[2], 10) + 0.5, y = r.top + parseInt(m[3], 10) + 0.5;
      target.dispatchEvent(new MouseEvent(m[1] === "click" ? "click" : "mousemove",
        { bubbles: true, cancelable: true, clientX: x, clientY: y, view: window }));
      document.body.setAttribute("data-test-" + m[1], "done");
    }

    try { main(); } catch (e) { reportError(e && e.stack ? e.stack : String(e)); }
    })();

    """#
}
