//! The wide-table loader reads CSV and gzip by their specifications and bounds its input.

use std::io::Write;

use edgeopt_predictors::data::DeviceTable;
use flate2::Compression;
use flate2::write::GzEncoder;

fn gzip(text: &str) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap()
}

#[test]
fn every_member_of_a_multi_member_gzip_is_read() {
    // `cat a.gz b.gz > t.gz` is a valid gzip file holding both texts (RFC 1952, section 2.2).
    let mut bytes = gzip("arch,lat\nx,1\n");
    bytes.extend(gzip("y,2\n"));
    bytes.extend(gzip("z,3\n"));
    let t = DeviceTable::parse_gz(&bytes, "t.csv.gz").unwrap();
    assert_eq!(t.text("arch").unwrap(), vec!["x", "y", "z"]);
    let dir = tempfile_dir();
    let path = dir.join("t.csv.gz");
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(DeviceTable::read(&path).unwrap().len(), 3);
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "edgeopt-data-test-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_gzip_bomb_is_refused_with_the_limit_named() {
    // 20 MB of text in about 20 KB: refused at a 1 MB limit before it is held in memory.
    let row = "aaaaaaaaaaaaaaaaaaaa,1\n";
    let text = format!("arch,lat\n{}", row.repeat(20_000_000 / row.len()));
    let bytes = gzip(&text);
    assert!(bytes.len() < 200_000);
    let dir = tempfile_dir();
    let path = dir.join("bomb.csv.gz");
    std::fs::write(&path, &bytes).unwrap();
    let e = DeviceTable::read_limited(&path, 1_000_000).unwrap_err().to_string();
    assert!(e.contains("more than 1000000 bytes"), "{e}");
    // Exactly at the limit is fine.
    let small = "arch,lat\nx,1\n";
    assert_eq!(DeviceTable::from_reader(small.as_bytes(), "s.csv", small.len() as u64).unwrap().len(), 1);
    assert!(DeviceTable::from_reader(small.as_bytes(), "s.csv", small.len() as u64 - 1).is_err());
}

#[test]
fn corrupt_gzip_is_a_typed_error() {
    let mut bytes = gzip("arch,lat\nx,1\ny,2\n");
    let n = bytes.len();
    bytes.truncate(n - 6);
    assert!(DeviceTable::parse_gz(&bytes, "t.csv.gz").is_err());
    assert!(DeviceTable::parse_gz(b"not gzip at all", "t.csv.gz").is_err());
}

#[test]
fn quoted_fields_are_read_as_csv_specifies() {
    let t = DeviceTable::parse("\"arch\",\"lat, ms\"\n\"a,b\",\"1.5\"\n\"say \"\"hi\"\"\",2\n", "q.csv").unwrap();
    assert_eq!(t.text("arch").unwrap(), vec!["a,b", "say \"hi\""]);
    assert_eq!(t.numeric("lat, ms").unwrap(), vec![Some(1.5), Some(2.0)]);
}

#[test]
fn duplicated_and_unnamed_columns_are_refused_by_name() {
    let e = DeviceTable::parse("arch,lat_a,lat_a\nx,1,2\n", "d.csv").unwrap_err().to_string();
    assert!(e.contains("`lat_a`") && e.contains("twice"), "{e}");
    let e = DeviceTable::parse("arch,,lat\nx,1,2\n", "d.csv").unwrap_err().to_string();
    assert!(e.contains("column 2 has no name"), "{e}");
}

#[test]
fn file_level_errors_do_not_mention_row_0_or_an_empty_column() {
    for text in ["", "arch,lat\n", "arch,lat\nx,1,2\n"] {
        let e = DeviceTable::parse(text, "e.csv").unwrap_err().to_string();
        assert!(!e.contains("row 0") && !e.contains("``"), "{e}");
    }
    let e = DeviceTable::parse("arch,lat\nx,nan\n", "e.csv").unwrap().numeric("lat").unwrap_err().to_string();
    assert_eq!(e, "e.csv: row 1, column `lat`: `nan` is not finite");
}

#[test]
fn missing_files_name_the_file() {
    let e = DeviceTable::read("no/such/file.csv".as_ref()).unwrap_err().to_string();
    assert!(e.starts_with("no/such/file.csv: "), "{e}");
}
