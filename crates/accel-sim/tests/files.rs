//! MAESTRO file and layer-CSV readers.

use edgeopt_accel_sim::{Accel, Dataflow, HardwareConfig, LayerType, SimError, layer_csv, maestro_file};

const XP_NET: &str = "
// two layers in MAESTRO's own style (note the missing comma, as in its model zoo)
Constant KT 1;
Network tiny {
\tLayer conv3x3 {
\t\tType: CONV
\t\tStride { X: 1, Y: 1 }
\t\tDimensions { K: 64, C: 64 R: 3, S: 3, Y: 56, X: 56 }
\t\tDataflow {
\t\t\tTemporalMap (KT,KT) K;
\t\t\tTemporalMap (1,1) C;
\t\t\tTemporalMap (Sz(R),1) Y;
\t\t\tSpatialMap (Sz(S),1) X;
\t\t\tTemporalMap (Sz(R),Sz(R)) R;
\t\t\tTemporalMap (Sz(S),Sz(S)) S;
\t\t}
\t}
\tLayer mm {
\t\tType: GEMM
\t\tDimensions { K: 100, M: 100, N: 100 }
\t\tDataflow {
\t\t\tTemporalMap(1,1) N;
\t\t\tSpatialMap(1,1) M;
\t\t\tTemporalMap(100,100) K;
\t\t\tCluster(100, P);
\t\t\tTemporalMap(1,1) N;
\t\t\tTemporalMap(1,1) M;
\t\t\tSpatialMap(1,1) K;
\t\t}
\t}
}
";

#[test]
fn a_maestro_mapping_file_gives_maestros_numbers() {
    let net = maestro_file::parse_mapping(XP_NET, "tiny.m").unwrap();
    assert_eq!(net.name, "tiny");
    assert_eq!(net.layers.len(), 2);
    let conv = &net.layers[0];
    let hw = HardwareConfig::new(64, 300, 50).build().unwrap();
    let acc = Accel::new(hw.clone(), Dataflow::Custom(conv.dataflow.clone().unwrap()));
    // Worked example C of SPEC.md: X-P on this layer is 1,990,658 cycles.
    assert_eq!(acc.evaluate_layer(&conv.layer).unwrap().cycles, 1_990_658);
    assert_eq!(acc.dataflow, Dataflow::Custom(Dataflow::XP.mapping_for(64, false)));

    let mm = &net.layers[1];
    assert_eq!(mm.layer.kind, LayerType::Gemm);
    assert_eq!(mm.layer.macs(), 1_000_000);
    let hw128 = HardwareConfig::new(128, 300, 50).build().unwrap();
    let c = Accel::new(hw128, Dataflow::Custom(mm.dataflow.clone().unwrap())).evaluate_layer(&mm.layer).unwrap();
    assert!(c.cycles > 0);
}

#[test]
fn parse_errors_carry_line_and_column() {
    let text = "Network n {\n  Layer l {\n    Type: CONV\n    Dimensions { K: 8, Q: 3 }\n  }\n}\n";
    match maestro_file::parse_mapping(text, "bad.m").unwrap_err() {
        SimError::Parse { file, line, column, message } => {
            assert_eq!((file.as_str(), line, column), ("bad.m", 4, 24), "{message}");
            assert!(message.contains("`Q`"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let err =
        maestro_file::parse_mapping("Network n {\n Layer l {\n  Dataflow { SpatialMap(1,1) K }", "m").unwrap_err();
    // `;` is optional, as in MAESTRO; the unclosed layer is the error.
    assert!(err.to_string().contains("end of file"), "{err}");
    let err = maestro_file::parse_mapping("Network n { Layer l { Type: CONV", "eof.m").unwrap_err();
    assert!(err.to_string().contains("end of file"), "{err}");
    assert!(maestro_file::parse_mapping("", "empty.m").is_err());
    // Bytes that are not UTF-8 are found by line.
    let dir = std::env::temp_dir().join(format!("edgeopt-utf8-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let latin1 = dir.join("latin1.csv");
    std::fs::write(&latin1, b"name,type,k,c,r,s,y,x,stride\ncaf\xe9,CONV,8,8,3,3,8,8,1\n").unwrap();
    let err = edgeopt_accel_sim::layer_csv::read(&latin1).unwrap_err().to_string();
    assert!(err.contains("latin1.csv") && err.contains("line 2, byte 4: 0xe9 is not UTF-8 text"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
    // A layer the cost model cannot take is refused where it is written, by file and line.
    let text = "Network n {\n  Layer zero {\n    Type: CONV\n    Dimensions { K: 0, C: 3 }\n  }\n}\n";
    match maestro_file::parse_mapping(text, "k0.m").unwrap_err() {
        SimError::Parse { file, line, message, .. } => {
            assert_eq!((file.as_str(), line), ("k0.m", 2), "{message}");
            assert!(message.contains("layer `zero`") && message.contains("K = 0"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        maestro_file::parse_mapping("Network n { Layer l { Type: CONV } } @", "x.m")
            .unwrap_err()
            .to_string()
            .contains("`@`")
    );
}

#[test]
fn a_bare_dataflow_file_is_read() {
    let text = "Dataflow {\n SpatialMap(1,1) C;\n TemporalMap(Sz(R),1) Y;\n TemporalMap(Sz(S),1) X;\n TemporalMap(Sz(R),Sz(R)) R;\n TemporalMap(Sz(S),Sz(S)) S;\n}\n";
    let net = maestro_file::parse_mapping(text, "dpt.m").unwrap();
    assert_eq!(net.dataflow.unwrap(), edgeopt_accel_sim::depthwise_template());
}

#[test]
fn hardware_files() {
    let hw = maestro_file::parse_hardware(
        "NumPEs: 128\nL1Size: 512\nL2Size: 4096\nNoC_BW: 64\nOffChip_BW: 32\nNoC_NumHops: 2\n",
        "hw.m",
    )
    .unwrap();
    assert_eq!(
        (hw.num_pes, hw.l1_bytes, hw.l2_bytes, hw.noc_bw, hw.offchip_bw, hw.noc_hops),
        (128, 512, 4096, 64, 32, 2)
    );
    let err = maestro_file::parse_hardware("NumPEs: 128\nFrequency: 3\n", "hw.m").unwrap_err().to_string();
    assert!(err.starts_with("hw.m:2:1") && err.contains("Frequency"), "{err}");
    let err = maestro_file::parse_hardware("NumPEs: 0\n", "hw.m").unwrap().build().unwrap_err().to_string();
    assert!(err.contains("num_pes"), "{err}");
}

#[test]
fn layer_csv_round_trip_and_errors() {
    let text = "name,type,k,c,r,s,y,x,stride,groups\nc1,CONV,32,3,3,3,226,226,2,1\ng,NGCONV,4,4,3,3,58,58,1,32\nfc,FC,10,64,1,1,1,1,1,\n";
    let layers = layer_csv::parse(text, "net.csv").unwrap();
    assert_eq!(layers.len(), 3);
    assert_eq!(layers[1].groups, 32);
    assert_eq!(layer_csv::parse(&layer_csv::to_csv(&layers), "rt.csv").unwrap(), layers);
    // An optional batch column (written by to_csv) repeats the layer.
    let batched = layer_csv::parse("name,type,k,c,r,s,y,x,stride,batch\nb,CONV,8,8,3,3,9,9,1,4\n", "b.csv").unwrap();
    assert_eq!((batched[0].batch, batched[0].macs()), (4, 4 * 8 * 8 * 9 * 49));
    assert_eq!(layer_csv::parse(&layer_csv::to_csv(&batched), "rt.csv").unwrap(), batched);

    let cases = [
        ("name,type,k,c,r,s,y,x,stride\nc,CONV,8,8,3,3,2,2,1\n", "row 1", "R = 3"),
        ("name,type,k,c,r,s,y,x,stride\nc,CONV,8,8,3,3,9,9,1\nd,POOL,8,8,3,3,9,9,1\n", "row 2", "POOL"),
        ("name,type,k,c,r,s,y,x,stride\nc,CONV,8,-1,3,3,9,9,1\n", "row 1", "invalid digit"),
        ("name,type,k,c,r,s,y,x,stride\nc,CONV,8,NaN,3,3,9,9,1\n", "row 1", "invalid"),
        ("name,type,k,c\nc,CONV,8,8\n", "", "missing column `r`"),
        ("name,type,k,c,r,s,y,x,stride\n", "", "bad.csv: no layers"),
    ];
    for (text, row, what) in cases {
        let err = layer_csv::parse(text, "bad.csv").unwrap_err().to_string();
        assert!(err.starts_with("bad.csv: ") && err.contains(row) && err.contains(what), "{err}");
    }
}

/// MAESTRO splits its input at spaces, tabs and `,->():;`, so these are all optional to it; its
/// model zoo relies on that (`vgg16_model.m` writes `Dimensions { K 64,C 3,R 3,S 3,Y 224,X 224 }`).
#[test]
fn what_maestros_tokenizer_accepts_is_accepted() {
    let colon_less = "Network vgg16 {\nLayer CONV1 {\nType: CONV\nStride { X: 1, Y: 1 }\n\
                      Dimensions { K 64,C 3,R 3,S 3,Y 224,X 224 }\n}\n}\n";
    let net = maestro_file::parse_mapping(colon_less, "vgg16_model.m").unwrap();
    let l = &net.layers[0].layer;
    assert_eq!((l.k, l.c, l.r, l.s, l.y, l.x), (64, 3, 3, 3, 224, 224));
    // `Type CONV` without a colon, directives without `;`, map arguments without commas, a
    // cluster without a type, and `Sz R` without parentheses.
    let bare = "Network { Layer { Type CONV Dimensions { K 8 C 8 R 3 S 3 Y 10 X 10 }
        Dataflow { TemporalMap(1 1) K SpatialMap(Sz R, 1) Y TemporalMap(1,1) C Cluster(8)
                   TemporalMap(Sz(R),Sz(R)) R TemporalMap(Sz(S),Sz(S)) S SpatialMap(1,1) X } } }";
    let net = maestro_file::parse_mapping(bare, "bare.m").unwrap();
    assert_eq!(net.name, "", "the network name is optional");
    assert_eq!(net.layers[0].layer.name, "Layer", "a nameless layer is called `Layer`, as in MAESTRO");
    assert_eq!(net.layers[0].dataflow.as_ref().unwrap().directives().len(), 7);
    let strict = "Network n { Layer l { Type: CONV Dimensions { K: 8, C: 8, R: 3, S: 3, Y: 10, X: 10 }
        Dataflow { TemporalMap(1,1) K; SpatialMap(Sz(R),1) Y; TemporalMap(1,1) C; Cluster(8, P);
                   TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S; SpatialMap(1,1) X; } } }";
    let strict = maestro_file::parse_mapping(strict, "strict.m").unwrap();
    assert_eq!(strict.layers[0].dataflow, net.layers[0].dataflow, "the lenient spelling means the same");
}

#[test]
fn a_layer_without_directives_keeps_the_previous_layers_as_in_maestro() {
    let text = "Network n {
        Layer a { Type: CONV Dimensions { K: 8, C: 8, R: 3, S: 3, Y: 10, X: 10 }
                  Dataflow { TemporalMap(1,1) K; TemporalMap(1,1) C; SpatialMap(Sz(R),1) Y;
                             TemporalMap(8,8) X; TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S; } }
        Layer b { Type: CONV Dimensions { K: 16, C: 8, R: 3, S: 3, Y: 10, X: 10 } } }";
    let net = maestro_file::parse_mapping(text, "n.m").unwrap();
    assert!(net.layers[1].dataflow.is_some());
    assert_eq!(net.layers[1].dataflow, net.layers[0].dataflow);
}

#[test]
fn maestros_own_hardware_file_names_are_read() {
    // The keys of MAESTRO's `data/hw/accelerator_1.m`.
    let hw = maestro_file::parse_hardware(
        "num_pes: 256\nl1_size_cstr: 100\nl2_size_cstr: 3000\nnoc_bw_cstr: 1000\noffchip_bw_cstr: 50\nNoC_NumHops 2\n",
        "accelerator_1.m",
    )
    .unwrap();
    assert_eq!(
        (hw.num_pes, hw.l1_bytes, hw.l2_bytes, hw.noc_bw, hw.offchip_bw, hw.noc_hops),
        (256, 100, 3000, 1000, 50, 2)
    );
}

#[test]
fn duplicated_and_unknown_names_stay_errors_that_name_them() {
    let twice = "Network n { Layer l { Type: CONV Dimensions { K: 8, K: 16, C: 8, R: 1, S: 1, Y: 4, X: 4 } } }";
    let e = maestro_file::parse_mapping(twice, "t.m").unwrap_err().to_string();
    assert!(e.contains("`K` is given twice, as 8 and 16") && e.starts_with("t.m:1:"), "{e}");
    // The same value twice is harmless, and MAESTRO's own UNet_RS.m does it; so are dotted and
    // dashed names, as in its squeezenet1_0_model.m.
    let same = "Network torchvision.models.squeezenet { Layer Conv2d-1 { Type: CONV
        Dimensions { N: 1, N: 1, K: 8, C: 8, R: 1, S: 1, Y: 4, X: 4 } } }";
    let net = maestro_file::parse_mapping(same, "s.m").unwrap();
    assert_eq!((net.name.as_str(), net.layers[0].layer.name.as_str()), ("torchvision.models.squeezenet", "Conv2d-1"));
    let e = maestro_file::parse_hardware("NumPEs: 4\nnum_pes: 8\n", "hw.m").unwrap_err().to_string();
    assert!(e.contains("`num_pes`") && e.starts_with("hw.m:2:1:"), "{e}");
    let e = maestro_file::parse_hardware("NumPEs: 4;\nClock: 8\n", "hw.m").unwrap_err().to_string();
    assert!(e.contains("unknown hardware key `Clock`") && e.starts_with("hw.m:2:1:"), "{e}");
    let e = maestro_file::parse_mapping("Network n { Layer l { Type: CONV Dataflow { Spin(1,1) K; } } }", "d.m")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown directive `Spin`"), "{e}");
    let e = maestro_file::parse_mapping("Network n { Layer l { Type: CONV Dataflow { Cluster(4, Q); } } }", "c.m")
        .unwrap_err()
        .to_string();
    assert!(e.contains("P or L"), "{e}");
}

mod table_reading {
    use edgeopt_accel_sim::layer_csv;
    use proptest::prelude::*;

    /// A field as users write them: numbers, padding, empty values, words, signs.
    fn field() -> impl Strategy<Value = String> {
        prop_oneof![
            (0u64..300).prop_map(|v| v.to_string()),
            (0u64..300).prop_map(|v| format!(" {v} ")),
            Just(String::new()),
            Just("conv".to_string()),
            Just("CONV".to_string()),
            Just("dsconv".to_string()),
            Just("-3".to_string()),
            Just("+7".to_string()),
            Just("99999999999999999999".to_string()),
            Just("é".to_string()),
        ]
    }

    fn table() -> impl Strategy<Value = String> {
        let headers = prop::sample::subsequence(
            vec!["name", "type", "k", "c", "r", "s", "y", "x", "stride", "groups", "batch", "stride_y"],
            7..=12,
        )
        .prop_shuffle();
        let rows = prop::collection::vec((prop::collection::vec(field(), 6..=13), 1u64..4, any::<bool>()), 0..6);
        (headers, rows, any::<bool>()).prop_map(|(headers, rows, blank_line)| {
            let mut text = headers.join(",") + "\n";
            for (i, (random, v, valid)) in rows.iter().enumerate() {
                // Half the rows are valid layers, so both readers' successes are compared too.
                let row: Vec<String> = if *valid {
                    headers
                        .iter()
                        .map(|h| match *h {
                            "name" => format!(" l{i}"),
                            "type" => "conv".to_string(),
                            "y" | "x" => (8 * v).to_string(),
                            "groups" => "1".to_string(),
                            _ => v.to_string(),
                        })
                        .collect()
                } else {
                    random.clone()
                };
                text.push_str(&row.join(","));
                text.push('\n');
                if blank_line && i == 0 {
                    text.push('\n');
                }
            }
            text
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Plain tables are split by hand and anything with `\r` or quotes by the csv crate: both
        /// must read every table alike, including its errors (ragged rows, bad numbers, types).
        #[test]
        fn the_fast_reader_agrees_with_the_csv_crate(text in table()) {
            // The csv crate's own position note differs between line ends (and counts `\r\n`
            // lines differently), so it is left out of the comparison.
            let words = |e: edgeopt_accel_sim::SimError| {
                let e = e.to_string();
                match (e.find(" (line: "), e.find("): ")) {
                    (Some(a), Some(b)) if a < b => format!("{}{}", &e[..a], &e[b + 1..]),
                    _ => e,
                }
            };
            let unix = layer_csv::parse(&text, "t.csv").map_err(words);
            let windows = layer_csv::parse(&text.replace('\n', "\r\n"), "t.csv").map_err(words);
            prop_assert_eq!(unix, windows);
        }
    }

    #[test]
    fn quoted_names_and_windows_line_ends_are_read() {
        let text = "name,type,k,c,r,s,y,x,stride\r\n\"a,b\",CONV,8,8,3,3,9,9,1\r\n";
        let layers = layer_csv::parse(text, "q.csv").unwrap();
        assert_eq!(layers[0].name, "a,b");
        let plain = layer_csv::parse("name,type,k,c,r,s,y,x,stride\nab,CONV,8,8,3,3,9,9,1", "p.csv").unwrap();
        assert_eq!(plain[0].k, 8, "a last line without a line break is read");
        // Blank lines are skipped and reserve nothing per line (a hostile file of line breaks).
        let blank = format!(
            "name,type,k,c,r,s,y,x,stride\n{}ab,CONV,8,8,3,3,9,9,1\n{}",
            "\n".repeat(1 << 20),
            "\n".repeat(1 << 20)
        );
        assert_eq!(layer_csv::parse(&blank, "b.csv").unwrap().len(), 1);
    }
}
