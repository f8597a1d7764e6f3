# bash completion for avili, generated from its commands by `make completions`;
# do not edit. Static: a Tab press runs no Python.

_avili_commands() {  # $1: a command path; REPLY: its subcommands
    case $1 in
        'avili') REPLY="extract info teach infer-graph distill eval demo retrieve" ;;
        'avili retrieve') REPLY="index search" ;;
        *) REPLY= ;;
    esac
}
_avili_options() {  # $1: a command path; REPLY: its options
    case $1 in
        'avili') REPLY="--debug --no-debug --version --install-completion --show-completion --help" ;;
        'avili extract') REPLY="--out --synthetic --no-synthetic --from --videos --merge --num-classes --cooccurrence --label-sets --clips --rules --absent-rate --audio-dim --visual-dim --planted-out --orthogonal-prototypes --random-prototypes --classes --class-names --val-fraction --test-fraction --chunk-rows --labels --audio-backbone --visual-backbone --audio-weights --visual-weights --fps --start --duration --keep-segments --no-keep-segments --batch-size --workers --shard --strict --no-strict --device --seed --quiet -q --overwrite --no-overwrite --json --config --help" ;;
        'avili info') REPLY="--command --json --config --help" ;;
        'avili teach') REPLY="--data --out --soft-out --epochs --batch-size --lr --hidden --weight-decay --dropout --align-weight --mode --negatives --expected-positives --negative-weight --harvest-quantile --resume --max-memory --tensorboard --seed --device --amp --tf32 --no-tf32 --quiet -q --overwrite --no-overwrite --json --config --help" ;;
        'avili infer-graph') REPLY="--out --format --csv --plot --lambda --restarts --bootstrap --min-frequency --workers --max-memory --backend --algorithm --top-k --min-lift --input-kind --class-names --show --top --class --seed --quiet -q --overwrite --no-overwrite --json --config --help" ;;
        'avili distill') REPLY="--data --out --soft --graph --lir --lir-weight --graph-weight --pair-edge-weight --loss --mining --temperature --fnac-weight --fnac-warmup --cpsp-weight --tolerance --epochs --batch-size --lr --margin --embed-dim --hidden --weight-decay --dropout --resume --tensorboard --max-memory --gather --no-gather --seed --device --amp --tf32 --no-tf32 --quiet -q --overwrite --no-overwrite --json --config --help" ;;
        'avili eval') REPLY="--model --data --split --relevance --ci --map-variant --per-class --markdown --chunk --save-embeddings --seed --diagnose-graph --soft --tau --top-edges --plot --max-memory --device --quiet -q --overwrite --no-overwrite --json --config --help" ;;
        'avili demo') REPLY="--workdir --clips --epochs --seed --quiet -q --json --config --help" ;;
        'avili retrieve') REPLY="--model --data --query --k --direction --split --max-memory --device --json --config --help" ;;
        'avili retrieve index') REPLY="--model --data --out --split --ivfpq --nlist --pq-m --nbits --max-memory --device --seed --overwrite --no-overwrite --json --config --help" ;;
        'avili retrieve search') REPLY="--index --query --query-file --query-media --model --k --direction --approximate --nprobe --k-factor --memory-mb --json --config --help" ;;
        *) REPLY= ;;
    esac
}
_avili_value() {  # $1: a command path and an option; REPLY: how its value completes
    case $1 in
        'avili extract --out'|\
        'avili extract --from'|\
        'avili extract --label-sets'|\
        'avili extract --planted-out'|\
        'avili extract --class-names'|\
        'avili extract --labels'|\
        'avili extract --config'|\
        'avili info --config'|\
        'avili teach --data'|\
        'avili teach --out'|\
        'avili teach --soft-out'|\
        'avili teach --config'|\
        'avili infer-graph --out'|\
        'avili infer-graph --csv'|\
        'avili infer-graph --plot'|\
        'avili infer-graph --show'|\
        'avili infer-graph --config'|\
        'avili distill --data'|\
        'avili distill --out'|\
        'avili distill --soft'|\
        'avili distill --graph'|\
        'avili distill --config'|\
        'avili eval --model'|\
        'avili eval --data'|\
        'avili eval --save-embeddings'|\
        'avili eval --diagnose-graph'|\
        'avili eval --soft'|\
        'avili eval --config'|\
        'avili demo --config'|\
        'avili retrieve --model'|\
        'avili retrieve --data'|\
        'avili retrieve --config'|\
        'avili retrieve index --model'|\
        'avili retrieve index --data'|\
        'avili retrieve index --out'|\
        'avili retrieve index --config'|\
        'avili retrieve search --index'|\
        'avili retrieve search --query-file'|\
        'avili retrieve search --query-media'|\
        'avili retrieve search --model'|\
        'avili retrieve search --config') REPLY='file' ;;
        'avili extract --videos'|\
        'avili teach --tensorboard'|\
        'avili distill --tensorboard'|\
        'avili eval --plot'|\
        'avili demo --workdir') REPLY='dir' ;;
        'avili extract --num-classes'|\
        'avili extract --clips'|\
        'avili extract --rules'|\
        'avili extract --absent-rate'|\
        'avili extract --audio-dim'|\
        'avili extract --visual-dim'|\
        'avili extract --classes'|\
        'avili extract --val-fraction'|\
        'avili extract --test-fraction'|\
        'avili extract --chunk-rows'|\
        'avili extract --audio-weights'|\
        'avili extract --visual-weights'|\
        'avili extract --fps'|\
        'avili extract --start'|\
        'avili extract --duration'|\
        'avili extract --batch-size'|\
        'avili extract --workers'|\
        'avili extract --shard'|\
        'avili extract --seed'|\
        'avili teach --epochs'|\
        'avili teach --batch-size'|\
        'avili teach --lr'|\
        'avili teach --hidden'|\
        'avili teach --weight-decay'|\
        'avili teach --dropout'|\
        'avili teach --align-weight'|\
        'avili teach --expected-positives'|\
        'avili teach --negative-weight'|\
        'avili teach --harvest-quantile'|\
        'avili teach --max-memory'|\
        'avili teach --seed'|\
        'avili infer-graph --format'|\
        'avili infer-graph --lambda'|\
        'avili infer-graph --restarts'|\
        'avili infer-graph --bootstrap'|\
        'avili infer-graph --min-frequency'|\
        'avili infer-graph --workers'|\
        'avili infer-graph --max-memory'|\
        'avili infer-graph --top-k'|\
        'avili infer-graph --min-lift'|\
        'avili infer-graph --class-names'|\
        'avili infer-graph --top'|\
        'avili infer-graph --class'|\
        'avili infer-graph --seed'|\
        'avili distill --lir-weight'|\
        'avili distill --graph-weight'|\
        'avili distill --pair-edge-weight'|\
        'avili distill --temperature'|\
        'avili distill --fnac-weight'|\
        'avili distill --fnac-warmup'|\
        'avili distill --cpsp-weight'|\
        'avili distill --tolerance'|\
        'avili distill --epochs'|\
        'avili distill --batch-size'|\
        'avili distill --lr'|\
        'avili distill --margin'|\
        'avili distill --embed-dim'|\
        'avili distill --hidden'|\
        'avili distill --weight-decay'|\
        'avili distill --dropout'|\
        'avili distill --max-memory'|\
        'avili distill --seed'|\
        'avili eval --chunk'|\
        'avili eval --seed'|\
        'avili eval --tau'|\
        'avili eval --top-edges'|\
        'avili eval --max-memory'|\
        'avili demo --clips'|\
        'avili demo --epochs'|\
        'avili demo --seed'|\
        'avili retrieve --query'|\
        'avili retrieve --k'|\
        'avili retrieve --max-memory'|\
        'avili retrieve index --nlist'|\
        'avili retrieve index --pq-m'|\
        'avili retrieve index --nbits'|\
        'avili retrieve index --max-memory'|\
        'avili retrieve index --seed'|\
        'avili retrieve search --query'|\
        'avili retrieve search --k'|\
        'avili retrieve search --nprobe'|\
        'avili retrieve search --k-factor'|\
        'avili retrieve search --memory-mb') REPLY='text' ;;
        'avili extract --cooccurrence') REPLY='choice planted audioset' ;;
        'avili extract --audio-backbone') REPLY='choice logmel hf' ;;
        'avili extract --visual-backbone') REPLY='choice pixels hf' ;;
        'avili extract --device'|\
        'avili teach --device'|\
        'avili distill --device'|\
        'avili eval --device'|\
        'avili retrieve --device'|\
        'avili retrieve index --device') REPLY='choice auto cpu cuda' ;;
        'avili teach --mode') REPLY='choice aligned independent fused' ;;
        'avili teach --negatives') REPLY='choice epr weak assume' ;;
        'avili teach --amp'|\
        'avili distill --amp') REPLY='choice off bf16 fp16' ;;
        'avili infer-graph --backend') REPLY='choice fast causal-learn' ;;
        'avili infer-graph --algorithm') REPLY='choice grasp boss' ;;
        'avili infer-graph --input-kind') REPLY='choice auto probs probs-linear logits' ;;
        'avili distill --lir') REPLY='choice graded eliminate pull pair' ;;
        'avili distill --loss') REPLY='choice supcon triplet proxy-triplet infonce fnac cpsp' ;;
        'avili distill --mining') REPLY='choice hard semihard' ;;
        'avili eval --split'|\
        'avili retrieve --split'|\
        'avili retrieve index --split') REPLY='choice train val test' ;;
        'avili eval --relevance') REPLY='choice label events harvested' ;;
        'avili eval --map-variant') REPLY='choice standard cumulative' ;;
        'avili retrieve --direction'|\
        'avili retrieve search --direction') REPLY='choice a2v v2a' ;;
        *) REPLY= ;;
    esac
}
_avili_args() {  # $1: a command path; REPLY: how its arguments complete
    case $1 in
        'avili extract'|\
        'avili info'|\
        'avili infer-graph') REPLY=file ;;
        *) REPLY= ;;
    esac
}

_avili_offer() {  # complete $cur as $1 says: file, dir, "choice A B ..." or a word list
    case $1 in
        file) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
        dir) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
        choice\ *) mapfile -t COMPREPLY < <(compgen -W "${1#choice }" -- "$cur") ;;
        text) ;;
        *) mapfile -t COMPREPLY < <(compgen -W "$1" -- "$cur") ;;
    esac
}

_avili() {
    local cur=${COMP_WORDS[COMP_CWORD]} path=avili i=1 word REPLY
    COMPREPLY=()
    while ((i < COMP_CWORD)); do  # find the (sub)command being typed
        word=${COMP_WORDS[i]}
        _avili_value "$path $word"
        if [[ -n $REPLY ]]; then
            ((i += 2))  # an option and its value
            continue
        fi
        _avili_commands "$path"
        [[ " $REPLY " == *" $word "* ]] && path="$path $word"
        ((i++))
    done
    if ((i > COMP_CWORD)); then  # the word is an option's value
        _avili_value "$path ${COMP_WORDS[COMP_CWORD-1]}"
        _avili_offer "$REPLY"
    elif [[ $cur == -* ]]; then
        _avili_options "$path"
        _avili_offer "$REPLY"
    else
        _avili_commands "$path"
        [[ -z $REPLY ]] && _avili_args "$path"
        [[ -z $REPLY ]] && _avili_options "$path"
        _avili_offer "$REPLY"
    fi
}

complete -F _avili avili
