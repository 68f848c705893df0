import Foundation
import Uploads
import XCTest

/// The signer against AWS's Signature Version 4 test suite (credentials AKIDEXAMPLE, 2015-08-30T12:36:00Z,
/// us-east-1, service "service") and the S3 GET example of the S3 API reference.
final class SigV4SignerTests: XCTestCase {
    private let suite = SigV4Signer(credentials: .init(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                                    region: "us-east-1", service: "service")
    private let suiteDate = ISO8601DateFormatter().date(from: "2015-08-30T12:36:00Z")!
    private let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    private func authorization(_ method: String, _ url: String, _ headers: [String: String] = [:]) -> String? {
        suite.sign(method: method, url: URL(string: url)!, headers: ["Host": "example.amazonaws.com"].merging(headers) { $1 },
                   payloadHash: emptyHash, date: suiteDate)["Authorization"]
    }

    private func expected(_ signedHeaders: String, _ signature: String) -> String {
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=\(signedHeaders), Signature=\(signature)"
    }

    func testGetVanilla() {
        XCTAssertEqual(authorization("GET", "https://example.amazonaws.com/"),
                       expected("host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"))
    }

    func testPostVanilla() {
        XCTAssertEqual(authorization("POST", "https://example.amazonaws.com/"),
                       expected("host;x-amz-date", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"))
    }

    func testQueryParametersAreSorted() {
        XCTAssertEqual(authorization("GET", "https://example.amazonaws.com/?Param2=value2&Param1=value1"),
                       expected("host;x-amz-date", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"))
    }

    func testHeaderNamesAreLowerCasedAndValuesKept() {
        XCTAssertEqual(authorization("POST", "https://example.amazonaws.com/", ["My-Header1": "VALUE1"]),
                       expected("host;my-header1;x-amz-date", "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"))
    }

    func testHeaderValuesAreTrimmedAndSpacesFolded() {
        XCTAssertEqual(authorization("GET", "https://example.amazonaws.com/", ["My-Header1": " value1", "My-Header2": "\"a   b   c\""]),
                       expected("host;my-header1;my-header2;x-amz-date", "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"))
    }

    func testUnreservedCharactersAreNotEncoded() {
        XCTAssertEqual(authorization("GET", "https://example.amazonaws.com/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
                       expected("host;x-amz-date", "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"))
    }

    /// The "GET Object" example of the S3 API reference (examplebucket, test.txt, a Range header).
    func testS3GetObjectExample() {
        let signer = SigV4Signer(credentials: .init(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                                 region: "us-east-1")
        let headers = signer.sign(method: "GET", url: URL(string: "https://examplebucket.s3.amazonaws.com/test.txt")!,
                                  headers: ["Host": "examplebucket.s3.amazonaws.com", "Range": "bytes=0-9", "x-amz-content-sha256": emptyHash],
                                  payloadHash: emptyHash, date: ISO8601DateFormatter().date(from: "2013-05-24T00:00:00Z")!)
        XCTAssertEqual(headers["Authorization"], "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                       + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        XCTAssertEqual(headers["X-Amz-Date"], "20130524T000000Z")
    }

    func testUriEncoding() {
        XCTAssertEqual(SigV4Signer.uriEncode("Rec - 2026-11-23 10-00-00 - Élan/x.mp4"), "Rec%20-%202026-11-23%2010-00-00%20-%20%C3%89lan%2Fx.mp4")
    }
}
