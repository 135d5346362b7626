/* The desk's map of suspected contaminated plots (DESIGN §12).
 *
 * Reads the page's plots from <script type="application/json" id="suspect-map-data">
 * (id, name, status, status_label, township, source_label, lat, lon, boundary, url)
 * and draws each as its outline or a dot, coloured by status; a plot's popup links
 * to its page, where the survey is ordered. Texts are set with textContent only.
 */
(function () {
  "use strict";

  var COUNTY_CENTER = [24.38, 97.92];
  var COLORS = { suspected: "#dc6803", ordered: "#1849a9", case_open: "#079455", dismissed: "#667085" };

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function popupFor(p) {
    var box = el("div", "plot-popup");
    box.appendChild(el("strong", "plot-popup-name", p.name));
    box.appendChild(el("div", "plot-popup-meta", p.township + " · " + p.source_label));
    box.appendChild(el("div", "plot-popup-meta", p.status_label));
    var link = el("a", "plot-popup-link", p.status === "suspected" ? "责令调查或排除 →" : "查看 →");
    link.href = p.url + (p.status === "suspected" ? "#order" : "");
    link.setAttribute("data-testid", "suspect-popup-link");
    box.appendChild(link);
    return box;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("suspect-map");
    var data = document.getElementById("suspect-map-data");
    if (!node || !data || typeof L === "undefined") return;
    var items = JSON.parse(data.textContent || "[]");
    var map = L.map(node, { scrollWheelZoom: false, zoomSnap: 0.5 });
    map.attributionControl.setPrefix(false);
    var tiles = node.getAttribute("data-tiles");
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 19, attribution: node.getAttribute("data-attribution") || "" }).addTo(map);
    } else {
      node.classList.add("no-tiles");
    }
    L.control.scale({ imperial: false }).addTo(map);
    map.setView(COUNTY_CENTER, 10);
    var group = L.featureGroup().addTo(map);
    items.forEach(function (p) {
      var color = COLORS[p.status] || "#0b5d3b";
      var layer;
      if (p.lat !== null && p.lon !== null) {
        layer = L.circleMarker([p.lat, p.lon], { radius: 8, color: "#fff", weight: 2,
          fillColor: color, fillOpacity: 0.95, className: "suspect-dot suspect-" + p.id });
      } else {
        layer = L.geoJSON(p.boundary, { style: function () { return { color: color, weight: 2 }; } });
      }
      layer.bindPopup(popupFor(p)).bindTooltip(el("span", null, p.name));
      group.addLayer(layer);
    });
    if (items.length) map.fitBounds(group.getBounds(), { padding: [30, 30], maxZoom: 14, animate: false });
    node.setAttribute("data-loaded", String(items.length));
  });
})();
