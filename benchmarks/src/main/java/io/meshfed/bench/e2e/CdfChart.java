package io.meshfed.bench.e2e;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Latency CDFs (ms, log scale) of several runs in one PNG. */
final class CdfChart {

  private final Map<String, Histogram> series = new LinkedHashMap<>();

  void add(String name, Histogram latencyMicros) {
    if (latencyMicros.getTotalCount() > 0) {
      series.put(name, latencyMicros);
    }
  }

  void write(Path png, String title) throws IOException {
    XYChart chart = new XYChartBuilder().width(1100).height(650).title(title)
        .xAxisTitle("latency (ms, log scale)").yAxisTitle("fraction of events").build();
    chart.getStyler().setXAxisLogarithmic(true);
    chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideSE);
    chart.getStyler().setMarkerSize(0);
    for (var entry : series.entrySet()) {
      List<Double> x = new ArrayList<>();
      List<Double> y = new ArrayList<>();
      Histogram h = entry.getValue();
      for (HistogramIterationValue v : h.percentiles(5)) {
        x.add(Math.max(0.01, v.getValueIteratedTo() / 1000.0));
        y.add(v.getPercentileLevelIteratedTo() / 100.0);
      }
      chart.addSeries(entry.getKey(), x, y).setMarker(SeriesMarkers.NONE);
    }
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
  }
}
