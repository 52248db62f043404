Network vgg {
Layer CONV1 {
Type: CONV
Stride { X: 2, Y: 2 }
Dimensions { K 64,C 3,R 3,S 3,Y 224,X 224 }
Dataflow { SpatialMap(1,1) K; TemporalMap(64,64) C; TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S; TemporalMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X; Cluster(64, P); SpatialMap(1,1) C; TemporalMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X; TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S; }
}
Layer DW { Type DSCONV Dimensions { K 1 C 32 R 3 S 3 Y 112 X 112 } }
Layer G { Type: NGCONV Dimensions { G: 4, K: 8, C: 8, R: 1, S: 1, Y: 7, X: 7 } Dataflow { TemporalMap(1,1) G; SpatialMap(1,1) K; TemporalMap(1,1) C; TemporalMap(1,1) Y; TemporalMap(1,1) X; TemporalMap(1,1) R; TemporalMap(1,1) S; } }
}
