/* Draw a plot boundary by clicking on the map; the polygon goes into the hidden
   #boundary field as GeoJSON (WGS84, [lon, lat]). No tiles are required. */
(function () {
  "use strict";
  var el = document.getElementById("site-map");
  if (!el || typeof L === "undefined") { return; }
  var center = (el.dataset.center || "24.33,97.90").split(",").map(Number);
  var map = L.map(el, { preferCanvas: false }).setView(center, 13);
  map.attributionControl.setPrefix(false);
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution || "" }).addTo(map);
  }
  var field = document.getElementById("boundary");
  var status = document.getElementById("map-status");
  var points = [];
  var shape = null;
  var markers = L.layerGroup().addTo(map);

  function redraw() {
    markers.clearLayers();
    if (shape) { map.removeLayer(shape); shape = null; }
    points.forEach(function (p) { L.circleMarker(p, { radius: 4, color: "#0b5d3b" }).addTo(markers); });
    if (points.length >= 2) {
      shape = L.polygon(points, { color: "#0b5d3b", weight: 2, fillOpacity: 0.15 }).addTo(map);
    }
    if (points.length >= 3) {
      var ring = points.map(function (p) { return [Number(p.lng.toFixed(6)), Number(p.lat.toFixed(6))]; });
      ring.push(ring[0]);
      field.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
      status.textContent = points.length + " 个顶点，已生成边界";
    } else {
      field.value = "";
      status.textContent = points.length ? "至少需要 3 个顶点" : "";
    }
  }

  // Show a boundary typed in before a validation error, so nothing is lost.
  if (field.value) {
    try {
      var geo = JSON.parse(field.value);
      geo.coordinates[0].slice(0, -1).forEach(function (c) { points.push(L.latLng(c[1], c[0])); });
      redraw();
      if (shape) { map.fitBounds(shape.getBounds()); }
    } catch (e) { field.value = ""; }
  }
  map.on("click", function (e) { points.push(e.latlng); redraw(); });
  document.getElementById("map-undo").addEventListener("click", function () { points.pop(); redraw(); });
  document.getElementById("map-clear").addEventListener("click", function () { points = []; redraw(); });
})();
