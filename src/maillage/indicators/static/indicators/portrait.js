/* Portrait map: the sub-territories shaded by the chosen figure (values come with the page,
   the same as its table), and the initiatives as points when there are not too many.
   Progressive enhancement: without JavaScript the page has the table. */
(function () {
  "use strict";
  var el = document.getElementById("carte");
  var source = document.getElementById("valeurs-carte");
  if (!el || !window.L || !window.fetch) {
    return;
  }
  var data = el.dataset;
  var values = source ? JSON.parse(source.textContent) : {};
  var status = document.getElementById("carte-etat");
  var map = L.map(el, { zoomSnap: 0.25, scrollWheelZoom: false, preferCanvas: true });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution(data.attribution || "");
  var bbox = (data.bbox || "").split(",").map(Number);
  if (bbox.length === 4 && bbox.every(isFinite)) {
    map.fitBounds([[bbox[1], bbox[0]], [bbox[3], bbox[2]]], { padding: [12, 12] });
  } else {
    map.setView([46.6, 2.4], 5);
  }
  // Five classes by quantiles of the non-empty values; blue scale readable in grey.
  var colours = ["#e3e3fd", "#b1b1f9", "#8585f6", "#5555e8", "#000091"];
  var numbers = Object.keys(values)
    .map(function (k) { return values[k].value; })
    .filter(function (v) { return v !== null && v > 0; })
    .sort(function (a, b) { return a - b; });
  var breaks = [1, 2, 3, 4].map(function (i) {
    return numbers.length ? numbers[Math.floor((numbers.length * i) / 5)] : 0;
  });
  function colour(v) {
    if (v === null || v === undefined) { return "#ffffff"; }
    if (v <= 0) { return "#f6f6f6"; }
    var i = 0;
    while (i < breaks.length && v > breaks[i]) { i += 1; }
    return colours[i];
  }
  // The legend: one line per class, with its bounds (the figures themselves are in the table).
  if (numbers.length) {
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var box = L.DomUtil.create("div", "legend");
      var bounds = [numbers[0]].concat(breaks, [numbers[numbers.length - 1]]);
      // Built from text nodes only: no value from the data is ever read as HTML.
      function line(colour, label) {
        var row = document.createElement("div");
        var swatch = document.createElement("i");
        swatch.style.background = colour;
        row.appendChild(swatch);
        row.appendChild(document.createTextNode(label));
        box.appendChild(row);
      }
      if (data.legendTitle) {
        var title = document.createElement("strong");
        title.textContent = data.legendTitle;
        box.appendChild(title);
      }
      for (var i = 0; i < colours.length; i += 1) {
        if (i > 0 && bounds[i] === bounds[i + 1]) { continue; }
        line(colours[i], bounds[i] + " – " + bounds[i + 1]);
      }
      line("#f6f6f6", "0");
      return box;
    };
    legend.addTo(map);
  }
  // Leaflet reads a tooltip string as HTML: names come from strangers, so pass a text node.
  function textTooltip(text) {
    var span = document.createElement("span");
    span.textContent = String(text);
    return span;
  }
  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/geo+json" } }).then(function (r) {
      if (!r.ok) { throw new Error(url + " → " + r.status); }
      return r.json();
    });
  }
  getJSON(data.childrenUrl).then(function (collection) {
    L.geoJSON(collection, {
      style: function (feature) {
        var row = values[feature.id] || {};
        return { color: "#666", weight: 0.6, fillColor: colour(row.value), fillOpacity: 0.85 };
      },
      onEachFeature: function (feature, layer) {
        var row = values[feature.id] || {};
        layer.bindTooltip(textTooltip(feature.properties.name + " : " + (row.value === null || row.value === undefined ? "—" : row.value)));
      },
    }).addTo(map).bringToBack();  // the points may have arrived first: keep them on top
  }).catch(function (err) { console.warn("Maillage : contours indisponibles", err); });
  getJSON(data.pointsUrl).then(function (collection) {
    if (!collection.features.length && collection.total > collection.limit) {
      if (status) { status.textContent = data.tooMany; }
      return;
    }
    L.geoJSON(collection, {
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, { radius: 3, color: "#ce0500", weight: 1, fillOpacity: 0.8 });
      },
      onEachFeature: function (feature, layer) { layer.bindTooltip(textTooltip(feature.properties.name)); },
    }).addTo(map);
    el.setAttribute("data-loaded", "true");
  }).catch(function (err) { console.warn("Maillage : initiatives indisponibles", err); });
})();
