import Hummingbird
import NIOCore

/// Hummingbird's request context, keeping the connection so a generation can end when its client goes away.
struct ServeContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
