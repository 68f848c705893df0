import Foundation
import RecorderCore
import XCTest

final class RoomRecorderConfigTests: XCTestCase {
    func testEmptyFileGivesTheEmbeddedDefaults() throws {
        let config = try RoomRecorderConfig.parse("", file: "empty.toml")
        XCTAssertEqual(config, RoomRecorderConfig())
        XCTAssertEqual(config.capture.camera, .synthetic)
        XCTAssertEqual(config.library.target, .folder)
        XCTAssertEqual(config.control.socketPath, "/run/roomrec/control.sock")
        XCTAssertEqual(config.daemon.stateDirectory, "/var/lib/roomrec")
    }

    func testTheShippedExampleParsesAndSaysWhatItMeans() throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../config/roomrec.toml").standardized
        let config = try RoomRecorderConfig.load(path: example.path)
        XCTAssertEqual(config.room.type, .channel)
        XCTAssertEqual(config.recording.videoPreset, .auto, "calibrated on the machine")
        XCTAssertEqual(config.recording.encoders, .hardwareFirst)
        XCTAssertEqual(config.recording.layout, .auto)
        XCTAssertEqual(config.library.path, "/var/lib/roomrec/library")
    }

    func testEveryKeyIsRead() throws {
        let config = try RoomRecorderConfig.parse("""
            [room]
            id = "lab-2.b"
            title = "Chemistry Lab"
            type = "media_gallery"
            owner = "gallery-owner"
            [capture]
            camera = "synthetic"
            microphone = "synthetic"
            [recording]
            output_dir = "/srv/rec"
            video_preset = "superfast"
            encoder = ["h264_vaapi", "libx264"]
            layout = "speaker"
            max_session = "12h"
            host_leave_grace = "5m"
            min_free_mb = 4096
            reserve_mb = 1024
            video_bitrate_kbps = 8000
            audio_bitrate_kbps = 128
            [library]
            target = "folder"
            path = "/srv/library"
            [control]
            socket = "/run/x/control.sock"
            [daemon]
            state_dir = "/srv/state"
            log_level = "debug"
            """, file: "full.toml")
        XCTAssertEqual(config.room.id, "lab-2.b")
        XCTAssertEqual(config.room.type, .mediaGallery)
        XCTAssertEqual(config.room.owner, "gallery-owner")
        XCTAssertEqual(config.recording.outputDirectory, "/srv/rec")
        XCTAssertEqual(config.recording.videoPreset, .superfast)
        XCTAssertEqual(config.recording.encoders, .only([.vaapi, .x264]))
        XCTAssertEqual(config.recording.layout, .speaker)
        XCTAssertEqual(config.recording.maxSeriesDuration, 12 * 3600)
        XCTAssertEqual(config.recording.hostLeaveGrace, 300)
        XCTAssertEqual(config.recording.minimumFreeBytes, 4 << 30)
        XCTAssertEqual(config.recording.reserveBytes, 1 << 30)
        XCTAssertEqual(try RoomRecorderConfig.parse("[recording]\nencoder = \"software\"", file: "x").recording.encoders, .softwareOnly)
        let capture = try RoomRecorderConfig.parse("[capture]\ncamera = \"/dev/v4l/by-id/usb-cam-video-index0\"\nmicrophone = \"plughw:CARD=Conference,DEV=0\"", file: "x").capture
        XCTAssertEqual(capture.camera, .v4l2("/dev/v4l/by-id/usb-cam-video-index0"))
        XCTAssertEqual(capture.microphone, .alsa("plughw:CARD=Conference,DEV=0"))
        let controls = try RoomRecorderConfig.parse("[capture.controls]\nfocus_automatic_continuous = false\nfocus_absolute = 30", file: "x").capture.controls
        XCTAssertEqual(controls, ["focus_automatic_continuous": 0, "focus_absolute": 30])
        XCTAssertEqual(config.recording.videoBitrateKbps, 8000)
        XCTAssertEqual(config.recording.audioBitrateKbps, 128)
        XCTAssertEqual(config.library.path, "/srv/library")
        XCTAssertEqual(config.control.socketPath, "/run/x/control.sock")
        XCTAssertEqual(config.daemon.stateDirectory, "/srv/state")
        XCTAssertEqual(config.daemon.logLevel, .debug)
    }

    func testBadFilesNameTheFileTheLineAndTheKey() {
        let cases: [(String, Int?, String?, String)] = [
            ("[room]\ntype = \"chanel\"", 2, "room.type", "expected one of \"channel\", \"media_gallery\", \"single\""),
            ("[room]\nid = 42", 2, "room.id", "expected a string, found a integer"),
            ("[room]\nid = \"room 101\"", 2, "room.id", "letters, digits"),
            ("[room]\ntitel = \"x\"", 2, "room.titel", "unknown key"),
            ("[recording]\n\noutput_dir = \"recordings\"", 3, "recording.output_dir", "absolute path"),
            ("[recording]\nvideo_bitrate_kbps = 10", 2, "recording.video_bitrate_kbps", "between 500 and 50000"),
            ("[capture.controls]\nzoom_absolute = \"wide\"", 2, "capture.controls.zoom_absolute", "expected a number or true/false"),
            ("[capture]\ncamera = \"video0\"", 2, "capture.camera", "expected \"synthetic\" or a V4L2 device"),
            ("[capture]\nmicrophone = \"  \"", 2, "capture.microphone", "an ALSA PCM such as \"default\""),
            ("[libary]\npath = \"/x\"", 1, "libary", "unknown key"),
            ("room = \"x\"", 1, "room", "expected a table"),
            ("[room]\ntitle = \"\"", 2, "room.title", "must not be empty"),
            ("[room\nid = \"x\"", 1, nil, "TOML syntax error"),
            ("[uploads]\nwindows = [\"18:00-7\"]", 2, "uploads.windows", "HH:MM-HH:MM"),
            ("[recording]\nmax_duration = \"25h\"", 2, "recording.max_duration", "to \"24h\""),
            ("[recording]\nmax_duration = \"12 hours\"", 2, "recording.max_duration", "such as \"12h\""),
            ("[recording]\nencoder = [\"h264_vaapi\", \"x265\"]", 2, "recording.encoder", "unknown encoder \"x265\""),
            ("[recording]\nencoder = 1", 2, "recording.encoder", "expected \"auto\", \"software\""),
            ("[recording]\nlayout = \"mosaic\"", 2, "recording.layout", "expected one of \"auto\""),
            ("[recording]\nmax_session = \"73h\"", 2, "recording.max_session", "from \"1m\" to \"72h\""),
            ("[recording]\nhost_leave_grace = \"soon\"", 2, "recording.host_leave_grace", "from \"0s\" to \"24h\""),
            ("[recording]\nmin_free_mb = 1000\nreserve_mb = 1000", 3, "recording.reserve_mb", "less than min_free_mb (1000)"),
            ("[uploads]\nwindows = \"18:00-07:00\"", 2, "uploads.windows", "expected an array of strings"),
            ("[uploads]\nwhile_recording = \"no\"", 2, "uploads.while_recording", "expected true or false"),
            ("[session]\nconnector = \"livekit\"", 2, "session.connector", "expected one of \"none\", \"janus\", \"whip\""),
            ("[session]\nurl = \"janus.local\"", 2, "session.url", "expected the server's HTTP API"),
            ("[session]\nroom = \"lobby\"", 2, "session.room", "the room's number"),
            ("[session]\nconnector = \"janus\"\nroom = 1234", 1, "session.url", "needs the server's url"),
            ("[session]\nconnector = \"whip\"", 1, "session.url", "needs the WHIP endpoint's url"),
            ("[session]\nconnector = \"whip\"\nurl = \"https://ingress.example.org/w\"\nroom = 1234", 4, "session.room", "takes no room"),
            ("[session]\nconnector = \"whip\"\nurl = \"https://ingress.example.org/w\"\ntoken = \"k\"", 4, "session.token", "token_file holds"),
            ("[session]\nconnector = \"whip\"\nurl = \"https://ingress.example.org/w\"\npublish = false", 4, "session.publish", "nothing to do"),
            ("[session]\nconnector = \"whip\"\nurl = \"https://ingress.example.org/w\"\nhosts = [\"Teacher\"]", 4, "session.hosts", "no participants back"),
            ("[session]\nconnector = \"janus\"\nurl = \"http://127.0.0.1:8088/janus\"\nroom = 1\ntoken_file = \"/t\"", 5, "session.token_file", "WHIP endpoint's bearer"),
            ("[session]\nconnector = \"janus\"\nurl = \"http://127.0.0.1:8088/janus\"\nroom = 1\n[session.breakouts]\nlobby = \"Group A\"", 6,
             "session.breakouts.lobby", "a VideoRoom's number"),
            ("[session]\nconnector = \"janus\"\nurl = \"http://127.0.0.1:8088/janus\"\nroom = 1\n[session.breakouts]\n1 = \"Group A\"", 6,
             "session.breakouts.1", "main room"),
            ("[session]\n[session.breakouts]\n5678 = \"Group A\"", 3, "session.breakouts.5678", "connector = \"janus\""),
            ("[session]\nconnector = \"janus\"\nurl = \"http://127.0.0.1:8088/janus\"\nroom = 1\n[session.breakouts]\n05678 = \"A\"\n5678 = \"B\"", 7,
             "session.breakouts.5678", "room 5678 is named twice"),
            ("[library]\ntarget = \"kaltura\"", 2, "library.target", "needs a [library.kaltura] section"),
            ("[library.kaltura]\napp_token_id = \"0_x\"", 1, "library.kaltura.partner_id", "partner id"),
            ("[library.kaltura]\npartner_id = 1\napp_token_id = \"0_x\"\napp_token_file = \"token\"", 4, "library.kaltura.app_token_file", "absolute"),
            ("[library.kaltura]\npartner_id = 1\napp_token_id = \"0_x\"\napp_token_file = \"/t\"\napp_token_hash_type = \"sha3\"", 5,
             "library.kaltura.app_token_hash_type", "SHA1, SHA256"),
            ("[library]\ntarget = \"opencast\"", 2, "library.target", "needs an [opencast] section"),
            ("[opencast]\nuser = \"ca\"", 1, "opencast.url", "admin node's URL"),
            ("[opencast]\nurl = \"opencast.example.edu\"", 2, "opencast.url", "http:// or https://"),
            ("[opencast]\nurl = \"https://oc.example.edu\"\nuser = \"ca\"\npassword_file = \"pw\"", 4, "opencast.password_file", "absolute"),
            ("[opencast]\nurl = \"https://oc.example.edu\"\nuser = \"ca\"\npassword_file = \"/pw\"\nauth = \"ntlm\"", 5, "opencast.auth",
             "\"basic\", \"digest\""),
            ("[opencast]\nurl = \"https://oc.example.edu\"\nuser = \"ca\"\npassword_file = \"/pw\"\nflavor = \"dublincore/episode\"", 5,
             "opencast.flavor", "presenter/<subtype>"),
            ("[opencast]\nurl = \"https://oc.example.edu\"\nuser = \"ca\"\npassword_file = \"/pw\"\n[opencast.services]\ningest = \"lb\"", 6,
             "opencast.services.ingest", "http:// or https://"),
        ]
        for (text, line, key, fragment) in cases {
            XCTAssertThrowsError(try RoomRecorderConfig.parse(text, file: "/etc/roomrec/roomrec.toml"), text) { error in
                guard let error = error as? ConfigError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.file, "/etc/roomrec/roomrec.toml")
                XCTAssertEqual(error.line, line, "\(text): \(error)")
                XCTAssertEqual(error.key, key, "\(text): \(error)")
                XCTAssertTrue(error.message.contains(fragment), "\(text): \(error.message)")
                XCTAssertTrue(error.description.hasPrefix("/etc/roomrec/roomrec.toml:"), error.description)
            }
        }
    }

    func testUploadsAndTheKalturaLibrary() throws {
        let config = try RoomRecorderConfig.parse("""
            [library]
            target = "kaltura"
            [library.kaltura]
            service_url = "https://kaltura.example.edu"
            partner_id = 2503211
            app_token_id = "0_ab12cd34"
            app_token_file = "$CREDENTIALS_DIRECTORY/kaltura"
            app_token_hash_type = "sha256"
            category_id = 9876
            chunk_size_mb = 4
            [uploads]
            workers = 2
            windows = ["18:00-07:00", "12:00-13:30"]
            while_recording = false
            """, file: "kaltura.toml")
        let kaltura = try XCTUnwrap(config.library.kaltura)
        XCTAssertEqual(config.library.target, .kaltura)
        XCTAssertEqual(kaltura.partnerId, 2503211)
        XCTAssertEqual(kaltura.appTokenHashType, "SHA256")
        XCTAssertEqual(kaltura.categoryId, 9876)
        XCTAssertEqual(kaltura.chunkSizeBytes, 4 << 20)
        XCTAssertEqual(config.uploads.workers, 2)
        XCTAssertEqual(config.uploads.windows.windows.map(\.description), ["18:00-07:00", "12:00-13:30"])
        XCTAssertFalse(config.uploads.whileRecording)
    }

    func testTheOpencastAgent() throws {
        let config = try RoomRecorderConfig.parse("""
            [room]
            id = "hs-101"
            [library]
            target = "opencast"
            [opencast]
            url = "https://opencast.example.edu/"
            user = "capture_agent"
            password_file = "$CREDENTIALS_DIRECTORY/opencast"
            auth = "digest"
            ad_hoc = "schedule"
            [opencast.workflow_configuration]
            straightToPublishing = "true"
            [opencast.services]
            ingest = "https://ingest.opencast.example.edu/ingest"
            """, file: "opencast.toml")
        let opencast = try XCTUnwrap(config.opencast)
        XCTAssertEqual(opencast.url, "https://opencast.example.edu", "without the trailing slash")
        XCTAssertEqual(opencast.auth, .digest)
        XCTAssertEqual(opencast.agent(in: config.room), "hs-101", "the room's id by default")
        XCTAssertEqual(opencast.workflowConfiguration, ["straightToPublishing": "true"])
        XCTAssertEqual(opencast.ingestURL, "https://ingest.opencast.example.edu/ingest")
        XCTAssertNil(opencast.schedulerURL)
        XCTAssertEqual(opencast.adHoc, .schedule)
        XCTAssertEqual(opencast.flavor, "presenter/source")
        XCTAssertTrue(opencast.verifyTLS)
        XCTAssertNil(try RoomRecorderConfig.parse("", file: "x").opencast, "no agent unless configured")
    }

    func testTheSession() throws {
        XCTAssertEqual(try RoomRecorderConfig.parse("", file: "x").session.connector, .none, "no session unless configured")
        let config = try RoomRecorderConfig.parse("""
            [session]
            connector = "janus"
            url = "http://127.0.0.1:8088/janus"
            room = 1234
            pin = "4711"
            display = "Room 101 (lecture hall)"
            hosts = ["Dr. Ada Lovelace"]
            moderators = ["TA Grace"]

            [session.breakouts]
            5678 = "Group A"
            05679 = "Group B"
            """, file: "x")
        XCTAssertEqual(config.session.connector, .janus)
        XCTAssertEqual(config.session.breakouts, ["5678": "Group A", "5679": "Group B"], "keyed by the room's number, as a move names it")
        let whip = try RoomRecorderConfig.parse("""
            [session]
            connector = "whip"
            url = "https://ingress.example.org/w"
            token_file = "/etc/roomrec/whip.token"
            """, file: "x").session
        XCTAssertEqual(whip.connector, .whip)
        XCTAssertEqual(whip.tokenFile, "/etc/roomrec/whip.token")
        XCTAssertEqual(config.session.url?.absoluteString, "http://127.0.0.1:8088/janus")
        XCTAssertEqual(config.session.room, 1234)
        XCTAssertEqual(config.session.pin, "4711")
        XCTAssertNil(config.session.token)
        XCTAssertEqual(config.session.display, "Room 101 (lecture hall)")
        XCTAssertEqual(config.session.hosts, ["Dr. Ada Lovelace"])
        XCTAssertEqual(config.session.moderators, ["TA Grace"])
        XCTAssertTrue(config.session.publish, "the room is on stage: it publishes unless told not to")
        XCTAssertEqual([config.session.publishWidth, config.session.publishHeight, config.session.publishVideoKbps], [1280, 720, 1500])
    }

    func testThePublicationsSizeAndBitrate() throws {
        let config = try RoomRecorderConfig.parse("[session]\npublish = false\npublish_width = 960\npublish_height = 540\npublish_video_kbps = 800",
                                                  file: "x")
        XCTAssertFalse(config.session.publish)
        XCTAssertEqual([config.session.publishWidth, config.session.publishHeight, config.session.publishVideoKbps], [960, 540, 800])
        XCTAssertTrue(try RoomRecorderConfig.parse("[session]\nhosts = [\"Dr. Ada\"]\nauto_record = true", file: "x").session.autoRecord)
        XCTAssertFalse(try RoomRecorderConfig.parse("", file: "x").session.autoRecord, "recording by the session's start is asked for")
        for (text, key) in [("publish_width = 1281", "publish_width"), ("publish_height = 4000", "publish_height"),
                            ("auto_record = true", "auto_record"),
                            ("publish_video_kbps = 20", "publish_video_kbps"), ("publish = \"yes\"", "publish")] {
            XCTAssertThrowsError(try RoomRecorderConfig.parse("[session]\n\(text)", file: "room.toml"), text) { error in
                XCTAssertTrue("\(error)".hasPrefix("room.toml:2: session.\(key):"), "the file, the line and the key: \(error)")
            }
        }
    }

    func testTheDurationCap() throws {
        XCTAssertEqual(RoomRecorderConfig().recording.maxDuration, 86400, "the room platform's 24 hours")
        for (text, seconds) in [("12h", 43200.0), ("90m", 5400), ("1h30m", 5400), ("45s", 45)] {
            let config = try RoomRecorderConfig.parse("[recording]\nmax_duration = \"\(text)\"", file: "cap.toml")
            XCTAssertEqual(config.recording.maxDuration, seconds, text)
        }
    }

    func testAMissingFileSaysSo() {
        XCTAssertThrowsError(try RoomRecorderConfig.load(path: "/nonexistent/roomrec.toml")) { error in
            XCTAssertTrue("\(error)".hasPrefix("/nonexistent/roomrec.toml: cannot read the file"), "\(error)")
        }
    }
}
