import RecorderCore
import XCTest

final class EncoderGovernorTests: XCTestCase {
    func testSteppingFasterTakesFiveStrugglingSecondsInARow() {
        var governor = EncoderGovernor()
        let fine = EncoderGovernor.Second(speed: 1.6, framesDropped: 0)
        let slow = EncoderGovernor.Second(speed: 0.9, framesDropped: 0)
        let dropping = EncoderGovernor.Second(speed: 1.2, framesDropped: 3)
        for _ in 0..<100 { XCTAssertFalse(governor.observe(fine)) }
        // A passing stall (four seconds) is ridden out.
        for _ in 0..<4 { XCTAssertFalse(governor.observe(slow)) }
        XCTAssertFalse(governor.observe(fine))
        // Five seconds of struggling, slow or dropping, is not.
        for second in [slow, dropping, slow, dropping] { XCTAssertFalse(governor.observe(second)) }
        XCTAssertTrue(governor.observe(slow))
    }
}
