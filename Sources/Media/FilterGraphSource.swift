import CFFmpeg
import RecorderCore

/// An owned libavfilter graph with no inputs and one video output, such as
/// `testsrc2=s=1920x1080:r=30,drawtext=…,format=yuv420p`: a source of generated pictures.
public final class FilterGraphSource {
    private var graph: UnsafeMutablePointer<AVFilterGraph>?
    private let sink: UnsafeMutablePointer<AVFilterContext>

    /// Builds and configures the graph described by `description` (FFmpeg's filtergraph syntax).
    public init(description: String) throws(FFmpegError) {
        guard let graph = avfilter_graph_alloc() else { throw .missing("avfilter_graph_alloc") }
        self.graph = graph
        var sink: UnsafeMutablePointer<AVFilterContext>?
        let sinkFilter = avfilter_get_by_name("buffersink")
        do throws(FFmpegError) {
            try FFmpegError.check(avfilter_graph_create_filter(&sink, sinkFilter, "out", nil, nil, graph), "avfilter_graph_create_filter(buffersink)")
            // The graph's open output, labelled "out", feeds the buffersink.
            var inputs = avfilter_inout_alloc()
            defer { avfilter_inout_free(&inputs) }
            guard let open = inputs else { throw FFmpegError.missing("avfilter_inout_alloc") }
            open.pointee.name = av_strdup("out")
            open.pointee.filter_ctx = sink
            open.pointee.pad_idx = 0
            open.pointee.next = nil
            try FFmpegError.check(avfilter_graph_parse_ptr(graph, description, &inputs, nil, nil), "avfilter_graph_parse_ptr(\(description))")
            try FFmpegError.check(avfilter_graph_config(graph, nil), "avfilter_graph_config")
        } catch {
            avfilter_graph_free(&self.graph)
            throw error
        }
        self.sink = sink!
    }

    deinit { avfilter_graph_free(&graph) }

    /// Pulls the next picture from the graph, stamped with `capturedAt`.
    public func nextFrame(capturedAt: MonotonicInstant) throws(FFmpegError) -> MediaFrame {
        let frame = try MediaFrame(capturedAt: capturedAt)
        try FFmpegError.check(av_buffersink_get_frame(sink, frame.pointer), "av_buffersink_get_frame")
        return frame
    }
}
