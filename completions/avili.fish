# fish completion for avili, generated from its commands by `make completions`;
# do not edit. Static: a Tab press runs no Python.

function __avili_path --description 'The avili command being typed'
    set -l path avili
    set -l skip 0
    for word in (commandline -opc)[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        switch "$path $word"
            case 'avili extract --out' \
                'avili extract --from' \
                'avili extract --videos' \
                'avili extract --num-classes' \
                'avili extract --cooccurrence' \
                'avili extract --label-sets' \
                'avili extract --clips' \
                'avili extract --rules' \
                'avili extract --absent-rate' \
                'avili extract --audio-dim' \
                'avili extract --visual-dim' \
                'avili extract --planted-out' \
                'avili extract --classes' \
                'avili extract --class-names' \
                'avili extract --val-fraction' \
                'avili extract --test-fraction' \
                'avili extract --chunk-rows' \
                'avili extract --labels' \
                'avili extract --audio-backbone' \
                'avili extract --visual-backbone' \
                'avili extract --audio-weights' \
                'avili extract --visual-weights' \
                'avili extract --fps' \
                'avili extract --start' \
                'avili extract --duration' \
                'avili extract --batch-size' \
                'avili extract --workers' \
                'avili extract --shard' \
                'avili extract --device' \
                'avili extract --seed' \
                'avili extract --config' \
                'avili info --config' \
                'avili teach --data' \
                'avili teach --out' \
                'avili teach --soft-out' \
                'avili teach --epochs' \
                'avili teach --batch-size' \
                'avili teach --lr' \
                'avili teach --hidden' \
                'avili teach --weight-decay' \
                'avili teach --dropout' \
                'avili teach --align-weight' \
                'avili teach --mode' \
                'avili teach --negatives' \
                'avili teach --expected-positives' \
                'avili teach --negative-weight' \
                'avili teach --harvest-quantile' \
                'avili teach --max-memory' \
                'avili teach --tensorboard' \
                'avili teach --seed' \
                'avili teach --device' \
                'avili teach --amp' \
                'avili teach --config' \
                'avili infer-graph --out' \
                'avili infer-graph --format' \
                'avili infer-graph --csv' \
                'avili infer-graph --plot' \
                'avili infer-graph --lambda' \
                'avili infer-graph --restarts' \
                'avili infer-graph --bootstrap' \
                'avili infer-graph --min-frequency' \
                'avili infer-graph --workers' \
                'avili infer-graph --max-memory' \
                'avili infer-graph --backend' \
                'avili infer-graph --algorithm' \
                'avili infer-graph --top-k' \
                'avili infer-graph --min-lift' \
                'avili infer-graph --input-kind' \
                'avili infer-graph --class-names' \
                'avili infer-graph --show' \
                'avili infer-graph --top' \
                'avili infer-graph --class' \
                'avili infer-graph --seed' \
                'avili infer-graph --config' \
                'avili distill --data' \
                'avili distill --out' \
                'avili distill --soft' \
                'avili distill --graph' \
                'avili distill --lir' \
                'avili distill --lir-weight' \
                'avili distill --graph-weight' \
                'avili distill --pair-edge-weight' \
                'avili distill --loss' \
                'avili distill --mining' \
                'avili distill --temperature' \
                'avili distill --fnac-weight' \
                'avili distill --fnac-warmup' \
                'avili distill --cpsp-weight' \
                'avili distill --tolerance' \
                'avili distill --epochs' \
                'avili distill --batch-size' \
                'avili distill --lr' \
                'avili distill --margin' \
                'avili distill --embed-dim' \
                'avili distill --hidden' \
                'avili distill --weight-decay' \
                'avili distill --dropout' \
                'avili distill --tensorboard' \
                'avili distill --max-memory' \
                'avili distill --seed' \
                'avili distill --device' \
                'avili distill --amp' \
                'avili distill --config' \
                'avili eval --model' \
                'avili eval --data' \
                'avili eval --split' \
                'avili eval --relevance' \
                'avili eval --map-variant' \
                'avili eval --chunk' \
                'avili eval --save-embeddings' \
                'avili eval --seed' \
                'avili eval --diagnose-graph' \
                'avili eval --soft' \
                'avili eval --tau' \
                'avili eval --top-edges' \
                'avili eval --plot' \
                'avili eval --max-memory' \
                'avili eval --device' \
                'avili eval --config' \
                'avili demo --workdir' \
                'avili demo --clips' \
                'avili demo --epochs' \
                'avili demo --seed' \
                'avili demo --config' \
                'avili retrieve --model' \
                'avili retrieve --data' \
                'avili retrieve --query' \
                'avili retrieve --k' \
                'avili retrieve --direction' \
                'avili retrieve --split' \
                'avili retrieve --max-memory' \
                'avili retrieve --device' \
                'avili retrieve --config' \
                'avili retrieve index --model' \
                'avili retrieve index --data' \
                'avili retrieve index --out' \
                'avili retrieve index --split' \
                'avili retrieve index --nlist' \
                'avili retrieve index --pq-m' \
                'avili retrieve index --nbits' \
                'avili retrieve index --max-memory' \
                'avili retrieve index --device' \
                'avili retrieve index --seed' \
                'avili retrieve index --config' \
                'avili retrieve search --index' \
                'avili retrieve search --query' \
                'avili retrieve search --query-file' \
                'avili retrieve search --query-media' \
                'avili retrieve search --model' \
                'avili retrieve search --k' \
                'avili retrieve search --direction' \
                'avili retrieve search --nprobe' \
                'avili retrieve search --k-factor' \
                'avili retrieve search --memory-mb' \
                'avili retrieve search --config'
                set skip 1  # an option that takes a value: the next word is that value
            case 'avili extract' \
                'avili info' \
                'avili teach' \
                'avili infer-graph' \
                'avili distill' \
                'avili eval' \
                'avili demo' \
                'avili retrieve' \
                'avili retrieve index' \
                'avili retrieve search'
                set path "$path $word"
        end
    end
    echo $path
end

function __avili_at --description 'Whether the avili command being typed is $argv[1]'
    test (__avili_path) = "$argv[1]"
end

complete -c avili -f  # files only where a path is expected
complete -c avili -n '__avili_at "avili"' -a extract -d 'Build an avili dataset (HDF5) from one of four sources.'
complete -c avili -n '__avili_at "avili"' -a info -d 'Show what an avili artifact is: its kind (recognised from the file\'s content, not its name), schema and version, shapes, class names, clips per split, provenance (avili version, config, seed, input files with their SHA-256, the clip-id list hash) and, for a checkpoint, its best epoch, validation score and per-epoch history. Only metadata and small keys are read; feature arrays stay on disk. A file that is not an avili artifact, or is truncated or corrupt, gives a one-line error and exit code 2.'
complete -c avili -n '__avili_at "avili"' -a teach -d 'Train the teacher and write soft labels (and harvested modality labels) for every clip.'
complete -c avili -n '__avili_at "avili"' -a infer-graph -d 'Infer the latent interaction graph with GRaSP or BOSS on train soft labels.'
complete -c avili -n '__avili_at "avili"' -a distill -d 'Train the student: a cross-modal metric loss plus LIR.'
complete -c avili -n '__avili_at "avili"' -a eval -d 'Standard mAP over the full ranked gallery, with mAP@R, MRR, P@k and R@k.'
complete -c avili -n '__avili_at "avili"' -a demo -d 'Run the whole pipeline on the synthetic default and compare baseline vs LIR.'
complete -c avili -n '__avili_at "avili"' -a retrieve -d 'Top-k cross-modal search: directly from a model and a dataset, or against a gallery index built once.'
complete -c avili -n '__avili_at "avili"' -l debug -l no-debug -d 'Show tracebacks on errors.'
complete -c avili -n '__avili_at "avili"' -l version -d 'Print the version.'
complete -c avili -n '__avili_at "avili"' -l install-completion -d 'Install completion for the current shell.'
complete -c avili -n '__avili_at "avili"' -l show-completion -d 'Show completion for the current shell, to copy it or customize the installation.'
complete -c avili -n '__avili_at "avili"' -l help -d 'Show this message and exit.'
complete -c avili -n '__avili_at "avili extract"' -l out -r -F -d 'Dataset to write (HDF5).'
complete -c avili -n '__avili_at "avili extract"' -l synthetic -l no-synthetic -d 'Generate the built-in synthetic benchmark.'
complete -c avili -n '__avili_at "avili extract"' -l from -r -F -d 'Published feature file (HDF5/NPZ) or AVE release folder.'
complete -c avili -n '__avili_at "avili extract"' -l videos -x -a '(__fish_complete_directories (commandline -ct))' -d 'Folder of raw videos (needs avili).'
complete -c avili -n '__avili_at "avili extract"' -l merge -d 'Join the dataset shards given as arguments.'
complete -c avili -n '__avili_at "avili extract"' -l num-classes -x -d 'Number of classes (default 15; planted regime only).'
complete -c avili -n '__avili_at "avili extract"' -l cooccurrence -x -a 'planted audioset' -d 'Where each clip\'s event set comes from: planted (random rules between classes) or audioset (one real AudioSet clip\'s label set over a shipped AudioSet class subset; the truth graph is the pairs that really co-occur).'
complete -c avili -n '__avili_at "avili extract"' -l label-sets -r -F -d 'With --cooccurrence audioset: the label-set CSV to draw from, e.g. all 527 classes from \'python bench/make_audioset_subset.py --all-classes\' (default: the shipped subset).'
complete -c avili -n '__avili_at "avili extract"' -l clips -x -d 'Number of clips.'
complete -c avili -n '__avili_at "avili extract"' -l rules -x -d 'Planted cross-class links (default: one per class).'
complete -c avili -n '__avili_at "avili extract"' -l absent-rate -x -d 'Share of clips whose annotated event is missing from one modality (off-screen sound, silent object).'
complete -c avili -n '__avili_at "avili extract"' -l audio-dim -x -d 'Audio feature size.'
complete -c avili -n '__avili_at "avili extract"' -l visual-dim -x -d 'Visual feature size.'
complete -c avili -n '__avili_at "avili extract"' -l planted-out -r -F -d 'Planted graph (default: <out>.planted.npz).'
complete -c avili -n '__avili_at "avili extract"' -l orthogonal-prototypes -l random-prototypes -d 'Orthogonal class prototypes (no class pair confusable by construction) or i.i.d. Gaussian ones (some pairs overlap by chance).'
complete -c avili -n '__avili_at "avili extract"' -l classes -x -d 'Keep only these classes, by name (comma-separated or repeated), in this order.'
complete -c avili -n '__avili_at "avili extract"' -l class-names -r -F -d 'Text file, one class name per line, for sources without names.'
complete -c avili -n '__avili_at "avili extract"' -l val-fraction -x -d 'Val share: of all clips with --synthetic (default 0.15); carved from train (stratified) when an imported source has no val split (default 0.1).'
complete -c avili -n '__avili_at "avili extract"' -l test-fraction -x -d 'Test share of all clips.'
complete -c avili -n '__avili_at "avili extract"' -l chunk-rows -x -d 'Rows read per chunk (bounds memory).'
complete -c avili -n '__avili_at "avili extract"' -l labels -r -F -d 'CSV: file,label[,split].'
complete -c avili -n '__avili_at "avili extract"' -l audio-backbone -x -a 'logmel hf' -d 'logmel (weight-free log-mel statistics) or hf (a transformers audio model such as AST or CLAP, from --audio-weights).'
complete -c avili -n '__avili_at "avili extract"' -l visual-backbone -x -a 'pixels hf' -d 'pixels (weight-free colour/texture summary) or hf (a transformers image model such as CLIP vision or ResNet, from --visual-weights).'
complete -c avili -n '__avili_at "avili extract"' -l audio-weights -x -d 'Hub id or local folder for from_pretrained.'
complete -c avili -n '__avili_at "avili extract"' -l visual-weights -x -d 'Hub id or local folder for from_pretrained.'
complete -c avili -n '__avili_at "avili extract"' -l fps -x -d 'Frames per second sampled.'
complete -c avili -n '__avili_at "avili extract"' -l start -x -d 'Window start, seconds.'
complete -c avili -n '__avili_at "avili extract"' -l duration -x -d 'Window length, seconds (default: to the end).'
complete -c avili -n '__avili_at "avili extract"' -l keep-segments -l no-keep-segments -d 'Also keep per-second features.'
complete -c avili -n '__avili_at "avili extract"' -l batch-size -x -d 'Backbone batch size.'
complete -c avili -n '__avili_at "avili extract"' -l workers -x -d 'Parallel decoders.'
complete -c avili -n '__avili_at "avili extract"' -l shard -x -d 'i/n: process one n-th of the files (merge shards with --merge).'
complete -c avili -n '__avili_at "avili extract"' -l strict -l no-strict -d 'Fail if any video fails (default: skip and report).'
complete -c avili -n '__avili_at "avili extract"' -l device -x -a 'auto cpu cuda' -d 'Where to train: CUDA when present by default.'
complete -c avili -n '__avili_at "avili extract"' -l seed -x -d 'Seed for random, numpy and torch.'
complete -c avili -n '__avili_at "avili extract"' -l quiet -s q -d 'No progress bars.'
complete -c avili -n '__avili_at "avili extract"' -l overwrite -l no-overwrite -d 'Replace existing outputs.'
complete -c avili -n '__avili_at "avili extract"' -l json -d 'Print machine-readable JSON on stdout.'
complete -c avili -n '__avili_at "avili extract"' -l config -r -F -d 'TOML file of option values (keys: option names, e.g. epochs = 20); options typed on the command line override it.'
complete -c avili -n '__avili_at "avili extract"' -l help -d 'Show this message and exit.'
complete -c avili -n '__avili_at "avili extract"' -F
complete -c avili -n '__avili_at "avili info"' -l command -d 'Print the avili command that reproduces the artifact (a teacher, student, soft labels or inferred graph), with only its non-default options.'
complete -c avili -n '__avili_at "avili info"' -l json -d 'Print machine-readable JSON on stdout.'
complete -c avili -n '__avili_at "avili info"' -l config -r -F -d 'TOML file of option values (keys: option names, e.g. epochs = 20); options typed on the command line override it.'
complete -c avili -n '__avili_at "avili info"' -l help -d 'Show this message and exit.'
complete -c avili -n '__avili_at "avili info"' -F
complete -c avili -n '__avili_at "avili teach"' -l data -r -F -d 'avili dataset (HDF5).'
complete -c avili -n '__avili_at "avili teach"' -l out -r -F -d 'Teacher checkpoint to write (.pt).'
complete -c avili -n '__avili_at "avili teach"' -l soft-out -r -F -d 'Soft labels to write (default: soft.npz beside --out).'
complete -c avili -n '__avili_at "avili teach"' -l epochs -x -d ''
complete -c avili -n '__avili_at "avili teach"' -l batch-size -x -d ''
complete -c avili -n '__avili_at "avili teach"' -l lr -x -d ''
complete -c avili -n '__avili_at "avili teach"' -l hidden -x -d 'Hidden width of the network.'
complete -c avili -n '__avili_at "avili teach"' -l weight-decay -x -d 'AdamW weight decay.'
complete -c avili -n '__avili_at "avili teach"' -l dropout -x -d 'Dropout rate in the network.'
complete -c avili -n '__avili_at "avili teach"' -l align-weight -x -d 'Weight of the AV-SAL alignment loss.'
complete -c avili -n '__avili_at "avili teach"' -l mode -x -a 'aligned independent fused' -d 'independent (per-modality heads, no alignment; VALOR), aligned (AV-SAL: plus the alignment loss) or fused (one head on both modalities).'
complete -c avili -n '__avili_at "avili teach"' -l negatives -x -a 'epr weak assume' -d 'Unannotated classes: epr (unknown, with an expected number of events per clip), weak (down-weighted negatives) or assume (negatives: plain BCE).'
complete -c avili -n '__avili_at "avili teach"' -l expected-positives -x -d 'epr: expected events per clip and modality.'
complete -c avili -n '__avili_at "avili teach"' -l negative-weight -x -d 'weak: weight of each unannotated class as a negative; 0 = 1/(C-1).'
complete -c avili -n '__avili_at "avili teach"' -l harvest-quantile -x -d 'Harvested modality labels: a class counts as present above this quantile of its val scores on other classes\' clips.'
complete -c avili -n '__avili_at "avili teach"' -l resume -d 'Continue an interrupted run from the training state saved after each epoch (<out>.state.pt); the config must match.'
complete -c avili -n '__avili_at "avili teach"' -l max-memory -x -d 'Feature memory budget in MB; larger datasets stay on disk and are read in chunks (0 = a quarter of RAM).'
complete -c avili -n '__avili_at "avili teach"' -l tensorboard -x -a '(__fish_complete_directories (commandline -ct))' -d 'Also write the per-epoch scalars (loss terms, val score, lr, seconds; as in <out>.log.jsonl) as TensorBoard logs in this folder, when training ends (needs the tensorboard extra).'
complete -c avili -n '__avili_at "avili teach"' -l seed -x -d 'Seed for random, numpy and torch.'
complete -c avili -n '__avili_at "avili teach"' -l device -x -a 'auto cpu cuda' -d 'Where to train: CUDA when present by default.'
complete -c avili -n '__avili_at "avili teach"' -l amp -x -a 'off bf16 fp16' -d 'Mixed precision for the training steps on CUDA: bf16 or fp16 autocast (refused on the CPU).'
complete -c avili -n '__avili_at "avili teach"' -l tf32 -l no-tf32 -d 'Let CUDA matmuls use TF32 while training (no effect on the CPU).'
complete -c avili -n '__avili_at "avili teach"' -l quiet -s q -d 'No progress bars.'
complete -c avili -n '__avili_at "avili teach"' -l overwrite -l no-overwrite -d 'Replace existing outputs.'
complete -c avili -n '__avili_at "avili teach"' -l json -d 'Print machine-readable JSON on stdout.'
complete -c avili -n '__avili_at "avili teach"' -l config -r -F -d 'TOML file of option values (keys: option names, e.g. epochs = 20); options typed on the command line override it.'
complete -c avili -n '__avili_at "avili teach"' -l help -d 'Show this message and exit.'
complete -c avili -n '__avili_at "avili infer-graph"' -l out -r -F -d 'Graph to write (default: graph.npz beside the input).'
complete -c avili -n '__avili_at "avili infer-graph"' -l format -x -d 'npz, json, csv, dot or graphml; repeat for several (each beside --out with its own suffix). distill reads the npz.'
complete -c avili -n '__avili_at "avili infer-graph"' -l csv -r -F -d 'Also write the edge list as CSV.'
complete -c avili -n '__avili_at "avili infer-graph"' -l plot -r -F -d 'Also draw the graph as a PNG.'
complete -c avili -n '__avili_at "avili infer-graph"' -l lambda -x -d 'BIC penalty lambda (avili default 1; causal-learn 0.1.4.8\'s own default is 2).'
complete -c avili -n '__avili_at "avili infer-graph"' -l restarts -x -d 'Run seeds seed..seed+R-1, keep the best BIC score.'
complete -c avili -n '__avili_at "avili infer-graph"' -l bootstrap -x -d 'Rerun on B resampled row sets; edge frequencies come from them.'
complete -c avili -n '__avili_at "avili infer-graph"' -l min-frequency -x -d 'Drop edges adjacent in fewer of the runs than this share.'
complete -c avili -n '__avili_at "avili infer-graph"' -l workers -x -d 'Parallel runs (0 = every core).'
complete -c avili -n '__avili_at "avili infer-graph"' -l max-memory -x -d 'Memory for GRaSP\'s search trees in MB, all parallel runs together (0 = a quarter of RAM). Beyond it the trees are rebuilt as needed: slower, the same graph.'
complete -c avili -n '__avili_at "avili infer-graph"' -l backend -x -a 'fast causal-learn' -d 'fast (avili\'s own search: the same graphs as causal-learn, much faster) or causal-learn.'
complete -c avili -n '__avili_at "avili infer-graph"' -l algorithm -x -a 'grasp boss' -d 'grasp, or boss (best order score search: far faster at hundreds of nodes).'
complete -c avili -n '__avili_at "avili infer-graph"' -l top-k -x -d 'Keep an edge only if it is among the k strongest of one of its nodes; 0 keeps all.'
complete -c avili -n '__avili_at "avili infer-graph"' -l min-lift -x -d 'Keep a co-occurrence edge only if the teacher sees its two events together at least this many times as often as chance (soft-label lift); 0 keeps all.'
complete -c avili -n '__avili_at "avili infer-graph"' -l input-kind -x -a 'auto probs probs-linear logits' -d 'probs are mapped to log-odds, probs-linear searched as they are (sparser graphs from a confident teacher at hundreds of classes), logits (or label-space scores) used as they are; auto: probs when all values lie in [0, 1].'
complete -c avili -n '__avili_at "avili infer-graph"' -l class-names -x -d 'Comma-separated class names for a bare file.'
complete -c avili -n '__avili_at "avili infer-graph"' -l show -r -F -d 'Print the strongest edges of an existing graph NPZ instead.'
complete -c avili -n '__avili_at "avili infer-graph"' -l top -x -d 'Strongest edges to print.'
complete -c avili -n '__avili_at "avili infer-graph"' -l class -x -d 'With --show: only the edges of this class (audio or visual node); repeat for several. For graphs with hundreds of classes.'
complete -c avili -n '__avili_at "avili infer-graph"' -l seed -x -d 'Seed for random, numpy and torch.'
complete -c avili -n '__avili_at "avili infer-graph"' -l quiet -s q -d 'No progress bars.'
complete -c avili -n '__avili_at "avili infer-graph"' -l overwrite -l no-overwrite -d 'Replace existing outputs.'
complete -c avili -n '__avili_at "avili infer-graph"' -l json -d 'Print machine-readable JSON on stdout.'
complete -c avili -n '__avili_at "avili infer-graph"' -l config -r -F -d 'TOML file of option values (keys: option names, e.g. epochs = 20); options typed on the command line override it.'
complete -c avili -n '__avili_at "avili infer-graph"' -l help -d 'Show this message and exit.'
complete -c avili -n '__avili_at "avili infer-graph"' -F
complete -c avili -n '__avili_at "avili distill"' -l data -r -F -d 'avili dataset (HDF5).'
complete -c avili -n '__avili_at "avili distill"' -l out -r -F -d 'Student checkpoint to write (.pt).'
complete -c avili -n '__avili_at "avili distill"' -l soft -r -F -d 'Soft labels from \'avili teach\'.'
complete -c avili -n '__avili_at "avili distill"' -l graph -r -F -d 'Graph from \'avili infer-graph\'.'
complete -c avili -n '__avili_at "avili distill"' -l lir -x -a 'graded eliminate pull pair' -d 'LIR\'s form: graded (likely false negatives rank below same-label clips and above unrelated ones), eliminate (they leave the negatives), pull, or pair (the authors\' released form).'
complete -c avili -n '__avili_at "avili distill"' -l lir-weight -x -d 'Weight of LIR; 0 trains the plain baseline; auto picks it on val.'
complete -c avili -n '__avili_at "avili distill"' -l graph-weight -x -d 'graded/eliminate: the graph\'s share of the false-negative probability (0 soft labels alone, 1 only graph-linked pairs); auto picks it on val.'
complete -c avili -n '__avili_at "avili distill"' -l pair-edge-weight -x -d 'pair: weight of a clip whose audio:y-visual:y is an edge; 1 is the graph-free control.'
complete -c avili -n '__avili_at "avili distill"' -l loss -x -a 'supcon triplet proxy-triplet infonce fnac cpsp' -d 'Metric loss; each combines with LIR.'
complete -c avili -n '__avili_at "avili distill"' -l mining -x -a 'hard semihard' -d 'triplet: batch-hard or semi-hard triplets.'
complete -c avili -n '__avili_at "avili distill"' -l temperature -x -d 'infonce/supcon/fnac temperature; 0 = the loss\'s default.'
complete -c avili -n '__avili_at "avili distill"' -l fnac-weight -x -d 'FNAC suppression weight.'
complete -c avili -n '__avili_at "avili distill"' -l fnac-warmup -x -d 'Epochs before FNAC\'s suppression.'
complete -c avili -n '__avili_at "avili distill"' -l cpsp-weight -x -d 'CPSP pair-level weight.'
complete -c avili -n '__avili_at "avili distill"' -l tolerance -x -d 'auto: val avg mAP a stronger candidate may give up against the best.'
complete -c avili -n '__avili_at "avili distill"' -l epochs -x -d ''
complete -c avili -n '__avili_at "avili distill"' -l batch-size -x -d ''
complete -c avili -n '__avili_at "avili distill"' -l lr -x -d ''
complete -c avili -n '__avili_at "avili distill"' -l margin -x -d ''
complete -c avili -n '__avili_at "avili distill"' -l embed-dim -x -d ''
complete -c avili -n '__avili_at "avili distill"' -l hidden -x -d 'Hidden width of the network.'
complete -c avili -n '__avili_at "avili distill"' -l weight-decay -x -d 'AdamW weight decay.'
complete -c avili -n '__avili_at "avili distill"' -l dropout -x -d 'Dropout rate in the network.'
complete -c avili -n '__avili_at "avili distill"' -l resume -d 'Continue an interrupted run from the training state saved after each epoch (<out>.state.pt); the config must match.'
complete -c avili -n '__avili_at "avili distill"' -l tensorboard -x -a '(__fish_complete_directories (commandline -ct))' -d 'Also write the per-epoch scalars (loss terms, val score, lr, seconds; as in <out>.log.jsonl) as TensorBoard logs in this folder, when training ends (needs the tensorboard extra).'
complete -c avili -n '__avili_at "avili distill"' -l max-memory -x -d 'Feature memory budget in MB; larger datasets stay on disk and are read in chunks (0 = a quarter of RAM).'
complete -c avili -n '__avili_at "avili distill"' -l gather -l no-gather -d 'Under torchrun: gather every rank\'s embeddings (with gradients) so the loss sees the whole global batch; --no-gather: each rank\'s own slice.'
complete -c avili -n '__avili_at "avili distill"' -l seed -x -d 'Seed for random, numpy and torch.'
complete -c avili -n '__avili_at "avili distill"' -l device -x -a 'auto cpu cuda' -d 'Where to train: CUDA when present by default.'
complete -c avili -n '__avili_at "avili distill"' -l amp -x -a 'off bf16 fp16' -d 'Mixed precision for the training steps on CUDA: bf16 or fp16 autocast (refused on the CPU).'
complete -c avili -n '__avili_at "avili distill"' -l tf32 -l no-tf32 -d 'Let CUDA matmuls use TF32 while training (no effect on the CPU).'
complete -c avili -n '__avili_at "avili distill"' -l quiet -s q -d 'No progress bars.'
complete -c avili -n '__avili_at "avili distill"' -l overwrite -l no-overwrite -d 'Replace existing outputs.'
complete -c avili -n '__avili_at "avili distill"' -l json -d 'Print machine-readable JSON on stdout.'
complete -c avili -n '__avili_at "avili distill"' -l config -r -F -d 'TOML file of option values (keys: option names, e.g. epochs = 20); options typed on the command line override it.'
complete -c avili -n '__avili_at "avili distill"' -l help -d 'Show this message and exit.'
complete -c avili -n '__avili_at "avili eval"' -l model -r -F -d 'Student checkpoint; repeat to compare models on the same split.'
complete -c avili -n '__avili_at "avili eval"' -l data -r -F -d 'avili dataset (HDF5).'
complete -c avili -n '__avili_at "avili eval"' -l split -x -a 'train val test' -d 'train, val or test.'
complete -c avili -n '__avili_at "avili eval"' -l relevance -x -a 'label events harvested' -d 'label: same annotated class; events: the gallery item holds the query\'s event; harvested: the teacher\'s harvested modality labels (needs --soft).'
complete -c avili -n '__avili_at "avili eval"' -l ci -d 'Bootstrap 95% CIs over queries.'
complete -c avili -n '__avili_at "avili eval"' -l map-variant -x -a 'standard cumulative' -d 'cumulative: also report the NON-STANDARD cumulative mAP some published code computes, labelled as such.'
complete -c avili -n '__avili_at "avili eval"' -l per-class -d 'Also print per-class AP.'
complete -c avili -n '__avili_at "avili eval"' -l markdown -d 'Print tables as Markdown.'
complete -c avili -n '__avili_at "avili eval"' -l chunk -x -d 'Queries scored at once (memory ~ chunk x gallery x 9 bytes); 0 = automatic.'
complete -c avili -n '__avili_at "avili eval"' -l save-embeddings -r -F -d 'Write the split\'s embeddings (NPZ), of the first model.'
complete -c avili -n '__avili_at "avili eval"' -l seed -x -d 'Bootstrap resampling seed.'
complete -c avili -n '__avili_at "avili eval"' -l diagnose-graph -r -F -d 'Graph (NPZ): also report how much closer each model after the first holds the clip pairs its top edges link (needs --soft).'
complete -c avili -n '__avili_at "avili eval"' -l soft -r -F -d 'Teacher soft labels, for --diagnose-graph and --relevance harvested.'
complete -c avili -n '__avili_at "avili eval"' -l tau -x -d 'Soft-label threshold for co-active pairs.'
complete -c avili -n '__avili_at "avili eval"' -l top-edges -x -d 'Graph edges diagnosed.'
complete -c avili -n '__avili_at "avili eval"' -l plot -x -a '(__fish_complete_directories (commandline -ct))' -d 'Folder for PNG plots: precision-recall per direction, val mAP per epoch, t-SNE maps.'
complete -c avili -n '__avili_at "avili eval"' -l max-memory -x -d 'Feature memory budget in MB; larger datasets stay on disk and are read in chunks (0 = a quarter of RAM).'
complete -c avili -n '__avili_at "avili eval"' -l device -x -a 'auto cpu cuda' -d 'Where to embed clips: CUDA when present by default.'
complete -c avili -n '__avili_at "avili eval"' -l quiet -s q -d 'No progress bars.'
complete -c avili -n '__avili_at "avili eval"' -l overwrite -l no-overwrite -d 'Replace existing outputs.'
complete -c avili -n '__avili_at "avili eval"' -l json -d 'Print machine-readable JSON on stdout.'
complete -c avili -n '__avili_at "avili eval"' -l config -r -F -d 'TOML file of option values (keys: option names, e.g. epochs = 20); options typed on the command line override it.'
complete -c avili -n '__avili_at "avili eval"' -l help -d 'Show this message and exit.'
complete -c avili -n '__avili_at "avili demo"' -l workdir -x -a '(__fish_complete_directories (commandline -ct))' -d 'Folder for every artifact (regenerated).'
complete -c avili -n '__avili_at "avili demo"' -l clips -x -d 'Synthetic clips to generate.'
complete -c avili -n '__avili_at "avili demo"' -l epochs -x -d 'Training epochs of the teacher and of both students.'
complete -c avili -n '__avili_at "avili demo"' -l seed -x -d 'Seed for random, numpy and torch.'
complete -c avili -n '__avili_at "avili demo"' -l quiet -s q -d 'No progress bars.'
complete -c avili -n '__avili_at "avili demo"' -l json -d 'Print machine-readable JSON on stdout.'
complete -c avili -n '__avili_at "avili demo"' -l config -r -F -d 'TOML file of option values (keys: option names, e.g. epochs = 20); options typed on the command line override it.'
complete -c avili -n '__avili_at "avili demo"' -l help -d 'Show this message and exit.'
complete -c avili -n '__avili_at "avili retrieve"' -a index -d 'Embed a dataset\'s clips once with a student and store them as a gallery index; with --ivfpq, also measure the approximate index\'s recall@10 against exact search.'
complete -c avili -n '__avili_at "avili retrieve"' -a search -d 'Top-k search against a gallery index, exact (chunked, memory bounded by --memory-mb) or approximate.'
complete -c avili -n '__avili_at "avili retrieve"' -l model -r -F -d 'Student checkpoint.'
complete -c avili -n '__avili_at "avili retrieve"' -l data -r -F -d 'avili dataset (HDF5).'
complete -c avili -n '__avili_at "avili retrieve"' -l query -x -d 'Clip id of the query.'
complete -c avili -n '__avili_at "avili retrieve"' -l k -x -d 'Number of hits.'
complete -c avili -n '__avili_at "avili retrieve"' -l direction -x -a 'a2v v2a' -d 'a2v: audio query, visual gallery.'
complete -c avili -n '__avili_at "avili retrieve"' -l split -x -a 'train val test' -d 'Gallery split (default: the query\'s own).'
complete -c avili -n '__avili_at "avili retrieve"' -l max-memory -x -d 'Feature memory budget in MB; larger datasets stay on disk and are read in chunks (0 = a quarter of RAM).'
complete -c avili -n '__avili_at "avili retrieve"' -l device -x -a 'auto cpu cuda' -d 'Where to embed clips: CUDA when present by default.'
complete -c avili -n '__avili_at "avili retrieve"' -l json -d 'Print machine-readable JSON on stdout.'
complete -c avili -n '__avili_at "avili retrieve"' -l config -r -F -d 'TOML file of option values (keys: option names, e.g. epochs = 20); options typed on the command line override it.'
complete -c avili -n '__avili_at "avili retrieve"' -l help -d 'Show this message and exit.'
complete -c avili -n '__avili_at "avili retrieve index"' -l model -r -F -d 'Student checkpoint.'
complete -c avili -n '__avili_at "avili retrieve index"' -l data -r -F -d 'avili dataset (HDF5).'
complete -c avili -n '__avili_at "avili retrieve index"' -l out -r -F -d 'Gallery index file to write (.avx).'
complete -c avili -n '__avili_at "avili retrieve index"' -l split -x -a 'train val test' -d 'Only this split (default: every clip).'
complete -c avili -n '__avili_at "avili retrieve index"' -l ivfpq -d 'Also build faiss IVF-PQ indexes for approximate search (avili).'
complete -c avili -n '__avili_at "avili retrieve index"' -l nlist -x -d 'IVF lists.'
complete -c avili -n '__avili_at "avili retrieve index"' -l pq-m -x -d 'PQ sub-quantizers (divides the embedding size; 0: half of it).'
complete -c avili -n '__avili_at "avili retrieve index"' -l nbits -x -d 'Bits per PQ code (4: fast scan).'
complete -c avili -n '__avili_at "avili retrieve index"' -l max-memory -x -d 'Feature memory budget in MB; larger datasets stay on disk and are read in chunks (0 = a quarter of RAM).'
complete -c avili -n '__avili_at "avili retrieve index"' -l device -x -a 'auto cpu cuda' -d 'Where to embed clips: CUDA when present by default.'
complete -c avili -n '__avili_at "avili retrieve index"' -l seed -x -d 'Seed for random, numpy and torch.'
complete -c avili -n '__avili_at "avili retrieve index"' -l overwrite -l no-overwrite -d 'Replace existing outputs.'
complete -c avili -n '__avili_at "avili retrieve index"' -l json -d 'Print machine-readable JSON on stdout.'
complete -c avili -n '__avili_at "avili retrieve index"' -l config -r -F -d 'TOML file of option values (keys: option names, e.g. epochs = 20); options typed on the command line override it.'
complete -c avili -n '__avili_at "avili retrieve index"' -l help -d 'Show this message and exit.'
complete -c avili -n '__avili_at "avili retrieve search"' -l index -r -F -d 'Gallery index (.avx) from \'retrieve index\'.'
complete -c avili -n '__avili_at "avili retrieve search"' -l query -x -d 'Clip id in the index; repeatable.'
complete -c avili -n '__avili_at "avili retrieve search"' -l query-file -r -F -d 'Raw query-modality features (.npy (Q, D), or .npz with one array); needs --model.'
complete -c avili -n '__avili_at "avili retrieve search"' -l query-media -r -F -d 'Media file (video or audio), through the backbones of the index\'s dataset; repeatable; needs --model and avili.'
complete -c avili -n '__avili_at "avili retrieve search"' -l model -r -F -d 'The student the index was built with (for --query-file and --query-media).'
complete -c avili -n '__avili_at "avili retrieve search"' -l k -x -d 'Number of hits.'
complete -c avili -n '__avili_at "avili retrieve search"' -l direction -x -a 'a2v v2a' -d 'a2v: audio queries, visual gallery.'
complete -c avili -n '__avili_at "avili retrieve search"' -l approximate -d 'Use the index\'s IVF-PQ part (built with --ivfpq).'
complete -c avili -n '__avili_at "avili retrieve search"' -l nprobe -x -d 'IVF lists probed (--approximate).'
complete -c avili -n '__avili_at "avili retrieve search"' -l k-factor -x -d 'IVF-PQ candidates per hit, re-ranked exactly (--approximate).'
complete -c avili -n '__avili_at "avili retrieve search"' -l memory-mb -x -d 'Exact search\'s score buffer, MB (without faiss).'
complete -c avili -n '__avili_at "avili retrieve search"' -l json -d 'Print machine-readable JSON on stdout.'
complete -c avili -n '__avili_at "avili retrieve search"' -l config -r -F -d 'TOML file of option values (keys: option names, e.g. epochs = 20); options typed on the command line override it.'
complete -c avili -n '__avili_at "avili retrieve search"' -l help -d 'Show this message and exit.'
